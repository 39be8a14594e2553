/**
 * An Anthropic `Message` into an OpenAI chat completion. Anthropic answers with a list of blocks: text
 * blocks are joined into `message.content`, `tool_use` blocks become `tool_calls` (their `input`
 * object serialised as the `arguments` string OpenAI clients parse); thinking and server-tool blocks
 * have no place in OpenAI's chat and are left out. `stop_reason` maps to `finish_reason` (wire-formats
 * §9.1). Usage differs in what `input_tokens` counts: Anthropic leaves cache reads and writes out of
 * it, OpenAI's `prompt_tokens` includes them, with the reads as `prompt_tokens_details.cached_tokens`
 * (and the writes as `cache_write_tokens`), so the cost of a cached prompt can be told apart.
 */
import type { ClientRequest, TranslatedResponse, Usage, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { classifyStreamError } from './errors.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

const finishReasons: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  // Server tools paused a long turn; OpenAI has no such state, and what came so far is an answer.
  pause_turn: 'stop',
};

/** A stop reason as OpenAI's finish reason; an unknown one (Anthropic adds them) reads as `stop`. */
export function finishReasonOf(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' ? finishReasons[stopReason] : undefined) ?? 'stop';
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);

/** Anthropic's usage counts as the gateway's Usage (prompt includes the cache reads and writes). */
export function usageOf(usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const cacheRead = count(usage['cache_read_input_tokens']);
  const promptTokens = count(usage['input_tokens']) + cacheRead + count(usage['cache_creation_input_tokens']);
  const completionTokens = count(usage['output_tokens']);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: cacheRead };
}

/** The OpenAI `usage` object for Anthropic's counts. */
export function openAIUsageOf(usage: unknown): JsonObject | undefined {
  const counted = usageOf(usage);
  if (!counted || !isRecord(usage)) return undefined;
  return {
    prompt_tokens: counted.promptTokens,
    completion_tokens: counted.completionTokens,
    total_tokens: counted.totalTokens,
    prompt_tokens_details: { cached_tokens: counted.cachedTokens ?? 0, cache_write_tokens: count(usage['cache_creation_input_tokens']) },
  };
}

/** OpenAI's ids are `chatcmpl-…`; Anthropic's `msg_…` is kept after the prefix so logs can be matched up. */
export function completionIdOf(messageId: unknown): string {
  return typeof messageId === 'string' && messageId !== '' ? `chatcmpl-${messageId}` : `chatcmpl-${Date.now().toString(36)}`;
}

function failure(message: string): UpstreamError {
  return new UpstreamError(upstreamErrorOf('server', message, { code: null, param: null }));
}

export function translateResponse(_req: ClientRequest, body: Buffer, target: UpstreamTarget): TranslatedResponse {
  const doc = tryParseJson(body.toString('utf8'));
  if (!isRecord(doc)) throw failure('upstream answered 2xx with a body that is not a JSON object');
  if (doc['type'] === 'error') throw new UpstreamError(classifyStreamError(JSON.stringify(doc)));
  const blocks = doc['content'];
  if (doc['type'] !== 'message' || !Array.isArray(blocks)) throw failure('upstream answered 2xx without a message and its content blocks');
  let text: string | null = null;
  const toolCalls: JsonObject[] = [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    if (block['type'] === 'text' && typeof block['text'] === 'string') text = (text ?? '') + block['text'];
    else if (block['type'] === 'tool_use' && typeof block['id'] === 'string' && typeof block['name'] === 'string') {
      toolCalls.push({
        id: block['id'],
        type: 'function',
        function: { name: block['name'], arguments: JSON.stringify(block['input'] ?? {}) },
      });
    }
  }
  const message: JsonObject = { role: 'assistant', content: text, refusal: null };
  if (toolCalls.length > 0) message['tool_calls'] = toolCalls;
  const model = typeof doc['model'] === 'string' ? doc['model'] : undefined;
  const response: JsonObject = {
    id: completionIdOf(doc['id']),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: model ?? target.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(doc['stop_reason']) }],
  };
  const usage = openAIUsageOf(doc['usage']);
  if (usage) response['usage'] = usage;
  const out: TranslatedResponse = { body: JSON.stringify(response) };
  if (model !== undefined) out.model = model;
  const counted = usageOf(doc['usage']);
  if (counted) out.usage = counted;
  return out;
}
