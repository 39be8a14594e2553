/**
 * Small repairs shared by the response and the stream translators. Self-hosted servers send `null`
 * where OpenAI omits a key (and the spec does not allow null), name the thinking text `reasoning`,
 * invent finish reasons (`abort`, `eos`...), omit `type` on tool calls and leave `total_tokens` out.
 * Each helper mutates an object we parsed ourselves and returns whether it changed anything, so that
 * callers can forward the upstream's bytes untouched when nothing did.
 */
import type { Usage } from '../types.js';
import { isRecord, type JsonObject } from '../shared/json.js';

export const chatFinishReasons: ReadonlySet<string> = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);
export const completionFinishReasons: ReadonlySet<string> = new Set(['stop', 'length', 'content_filter']);

/** SGLang and vLLM end a request they gave up on with `abort`: that is a failure, not an answer. */
export const abortReason = 'abort';

/** `null` stays null (still generating); known reasons pass; `abort` is reported; others become `stop`. */
export function mapFinishReason(value: unknown, allowed: ReadonlySet<string>): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && (allowed.has(value) || value === abortReason)) return value;
  return 'stop';
}

/** Removes the keys whose value is null (where the spec allows the key but not null). */
export function dropNulls(obj: JsonObject, keys: readonly string[]): boolean {
  let changed = false;
  for (const key of keys) {
    if (obj[key] === null) {
      delete obj[key];
      changed = true;
    }
  }
  return changed;
}

/**
 * vLLM (current versions) and Ollama call the thinking text `reasoning`; SGLang, llama.cpp, DeepSeek
 * and most client libraries read `reasoning_content`. Clients get one name whatever served them.
 */
export function renameReasoning(obj: JsonObject): boolean {
  if (!('reasoning' in obj)) return false;
  const reasoning = obj['reasoning'];
  if (reasoning !== null && reasoning !== undefined && (obj['reasoning_content'] === undefined || obj['reasoning_content'] === null)) {
    obj['reasoning_content'] = reasoning;
  }
  delete obj['reasoning'];
  return true;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Makes an upstream `usage` object schema-valid: nulls out, `total_tokens` filled. */
export function normalizeUsage(usage: JsonObject): boolean {
  let changed = dropNulls(usage, ['prompt_tokens_details', 'completion_tokens_details']);
  const prompt = num(usage['prompt_tokens']);
  const completion = num(usage['completion_tokens']);
  if (num(usage['total_tokens']) === undefined && prompt !== undefined) {
    usage['total_tokens'] = prompt + (completion ?? 0);
    changed = true;
  }
  return changed;
}

/** The gateway's Usage from an upstream `usage` object; undefined when it reports no token counts. */
export function usageOf(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const prompt = num(raw['prompt_tokens']);
  const completion = num(raw['completion_tokens']);
  if (prompt === undefined && completion === undefined) return undefined;
  const usage: Usage = {
    promptTokens: prompt ?? 0,
    completionTokens: completion ?? 0,
    totalTokens: num(raw['total_tokens']) ?? (prompt ?? 0) + (completion ?? 0),
  };
  const details = raw['prompt_tokens_details'];
  const cached = isRecord(details) ? num(details['cached_tokens']) : undefined;
  if (cached !== undefined) usage.cachedTokens = cached;
  return usage;
}

/**
 * A tool call (whole, or the first delta of one in a stream) made complete enough for the SDKs:
 * `type: "function"` and a string `function.arguments` (`""` when absent, serialised when a server
 * sent an object). Custom tool calls (`type: "custom"`) are left alone.
 */
export function completeToolCall(call: JsonObject): boolean {
  let changed = dropNulls(call, ['id']);
  if (call['type'] === undefined || call['type'] === null) {
    call['type'] = 'function';
    changed = true;
  }
  if (call['type'] !== 'function') return changed;
  let fn = call['function'];
  if (!isRecord(fn)) {
    fn = {};
    call['function'] = fn;
    changed = true;
  }
  const f = fn as JsonObject;
  changed = dropNulls(f, ['name']) || changed;
  const args = f['arguments'];
  if (typeof args !== 'string') {
    f['arguments'] = args === undefined || args === null ? '' : JSON.stringify(args);
    changed = true;
  }
  return changed;
}
