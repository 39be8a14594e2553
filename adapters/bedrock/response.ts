/**
 * A Converse answer as an OpenAI chat completion. Converse answers with one assistant message of
 * tagged blocks and no id, no timestamp and no model name: the id and `created` are ours, the model is
 * the deployment's (so no drift can be seen; Bedrock never says which model answered). Text blocks are
 * joined, `toolUse` blocks become `tool_calls` (input serialised to the string OpenAI carries),
 * reasoning text becomes `reasoning_content`. Stop reasons map by wire-formats §9.1; usage by §9.3:
 * Bedrock's `inputTokens` excludes cached tokens, so the prompt is input + cache read + cache write.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ClientRequest, TranslatedResponse, Usage, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { translateEmbeddings } from './embeddings.js';
import type { ContentBlock, ConverseUsage } from './wire.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

const finishReasons: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

/** Unknown and `malformed_*` reasons end the answer as `stop`: the text so far is all there is. */
export function finishReasonOf(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' ? finishReasons[stopReason] : undefined) ?? 'stop';
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** OpenAI's usage object and the gateway's Usage for a Converse `usage`; undefined when there is none. */
export function usageOf(raw: unknown): { openai: JsonObject; usage: Usage } | undefined {
  if (!isRecord(raw)) return undefined;
  const u = raw as Partial<Record<keyof ConverseUsage, unknown>>;
  const cacheRead = count(u.cacheReadInputTokens);
  const cacheWrite = count(u.cacheWriteInputTokens);
  const prompt = count(u.inputTokens) + cacheRead + cacheWrite;
  const completion = count(u.outputTokens);
  const details: JsonObject = { cached_tokens: cacheRead };
  if (cacheWrite > 0) details['cache_write_tokens'] = cacheWrite;
  const openai: JsonObject = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: details,
  };
  const usage: Usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion, cachedTokens: cacheRead };
  return { openai, usage };
}

/**
 * The id and timestamp Converse does not give: one per answer, shared by every chunk of a stream. The
 * id is a digest of the request and the millisecond, not a random draw, so that a replay under a fixed
 * clock (the golden fixtures) is reproducible; two answers share an id only if the same body was sent
 * in the same millisecond.
 */
export function newEnvelope(req: ClientRequest): { id: string; created: number } {
  const now = Date.now();
  const digest = createHash('sha256').update(req.raw).update(String(now)).digest('base64url').slice(0, 29);
  return { id: `chatcmpl-${digest}`, created: Math.floor(now / 1000) };
}

function failure(message: string): UpstreamError {
  return new UpstreamError(upstreamErrorOf('server', message, { code: null, param: null }));
}

export function translateResponse(req: ClientRequest, body: Buffer, target: UpstreamTarget): TranslatedResponse {
  if (req.operation === 'embeddings') return translateEmbeddings(req, body, target);
  const doc = tryParseJson(body.toString('utf8'));
  if (!isRecord(doc)) throw failure('Bedrock answered 2xx with a body that is not a JSON object');
  const output = doc['output'];
  const message = isRecord(output) ? output['message'] : undefined;
  if (!isRecord(message) || !Array.isArray(message['content'])) throw failure('Bedrock answered without output.message.content');
  let text = '';
  let reasoning = '';
  const toolCalls: JsonObject[] = [];
  for (const block of message['content'] as unknown[]) {
    if (!isRecord(block)) continue;
    const b = block as Partial<Record<string, unknown>> & Partial<ContentBlock>;
    if (typeof b['text'] === 'string') text += b['text'];
    else if (isRecord(b['toolUse'])) {
      const use = b['toolUse'];
      toolCalls.push({
        id: typeof use['toolUseId'] === 'string' ? use['toolUseId'] : `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
        type: 'function',
        function: { name: typeof use['name'] === 'string' ? use['name'] : '', arguments: JSON.stringify(use['input'] ?? {}) },
      });
    } else if (isRecord(b['reasoningContent']) && isRecord(b['reasoningContent']['reasoningText'])) {
      const r = b['reasoningContent']['reasoningText']['text'];
      if (typeof r === 'string') reasoning += r;
    }
  }
  const out: JsonObject = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, refusal: null };
  if (reasoning !== '') out['reasoning_content'] = reasoning;
  if (toolCalls.length > 0) out['tool_calls'] = toolCalls;
  const usage = usageOf(doc['usage']);
  const { id, created } = newEnvelope(req);
  const response: JsonObject = {
    id,
    object: 'chat.completion',
    created,
    model: target.model,
    choices: [{ index: 0, message: out, logprobs: null, finish_reason: finishReasonOf(doc['stopReason']) }],
  };
  if (usage) response['usage'] = usage.openai;
  const translated: TranslatedResponse = { body: JSON.stringify(response) };
  if (usage) translated.usage = usage.usage;
  return translated;
}
