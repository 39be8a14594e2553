/**
 * A Gemini answer as an OpenAI one. Where Gemini differs: text and calls are `parts` of each
 * candidate; function calls carry no id (one is made up, deterministically, from the response id and
 * position, with the call's `thoughtSignature` folded in so the next turn can send it back); a call
 * ends with finishReason `STOP`, which OpenAI calls `tool_calls`; safety and recitation stops, and a
 * prompt blocked outright (`promptFeedback.blockReason`, no candidates), are `content_filter`; usage
 * counts thoughts apart (`thoughtsTokenCount`, billed as output) and cached prompt tokens inside the
 * prompt. Thought-summary parts are not answer text and are dropped. No timestamp comes back from
 * the Gemini API (Vertex AI sends `createTime`), so `created` is the translation's own clock then.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ClientRequest, TranslatedResponse, UpstreamTarget, Usage } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson } from '../shared/json.js';
import { floatsToBase64, isFloatArray } from '../shared/float32-base64.js';
import { classifyErrorPayload } from './errors.js';
import { signatureMarker } from './request.js';
import type { GeminiCandidate, GeminiGenerateContentResponse, GeminiPart, GeminiUsageMetadata } from './wire.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

const filtered = new Set(['SAFETY', 'RECITATION', 'LANGUAGE', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'OTHER']);

/** Gemini's finishReason in OpenAI's terms (wire-formats §9.1); `STOP` after a call is `tool_calls`. */
export function finishReasonOf(reason: string, calledTools: boolean): OpenAIFinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (filtered.has(reason) || reason.startsWith('IMAGE_')) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

/** OpenAI usage from usageMetadata (wire-formats §9.3); undefined when the answer has none. */
export function usageOf(meta: GeminiUsageMetadata | undefined): Usage | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const prompt = count(meta.promptTokenCount) + count(meta.toolUsePromptTokenCount);
  const completion = count(meta.candidatesTokenCount) + count(meta.thoughtsTokenCount);
  const usage: Usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
  if (typeof meta.cachedContentTokenCount === 'number') usage.cachedTokens = meta.cachedContentTokenCount;
  return usage;
}

/** The usage object a client sees, with the cache and reasoning details Gemini reports. */
export function openAIUsage(usage: Usage, meta: GeminiUsageMetadata | undefined): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: meta?.thoughtsTokenCount ?? 0 },
  };
}

/** A call id: Gemini's own when it sends one, else stable for (response, candidate, position). */
export function toolCallId(responseId: string, candidate: number, position: number, part: GeminiPart): string {
  const own = part.functionCall?.id;
  const base =
    typeof own === 'string' && own !== ''
      ? own
      : `call_${createHash('sha256').update(`${responseId}\0${candidate}\0${position}`).digest('base64url').slice(0, 24)}`;
  const signature = part.thoughtSignature;
  return typeof signature === 'string' && signature !== ''
    ? `${base}${signatureMarker}${Buffer.from(signature, 'utf8').toString('base64url')}`
    : base;
}

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The answer's visible parts: text (thought summaries left out) and function calls. */
export function partsOf(candidate: GeminiCandidate): GeminiPart[] {
  const parts = candidate.content?.parts;
  return Array.isArray(parts) ? parts.filter((p) => isRecord(p) && p.thought !== true) : [];
}

export function createdOf(doc: GeminiGenerateContentResponse): number {
  const at = typeof doc.createTime === 'string' ? Date.parse(doc.createTime) : NaN;
  return Math.floor((Number.isNaN(at) ? Date.now() : at) / 1000);
}

export function chatIdOf(doc: GeminiGenerateContentResponse): string {
  return `chatcmpl-${typeof doc.responseId === 'string' && doc.responseId !== '' ? doc.responseId : randomUUID().replaceAll('-', '')}`;
}

function failure(message: string): UpstreamError {
  return new UpstreamError(upstreamErrorOf('server', message, { code: null, param: null }));
}

export function parseAnswer(text: string): GeminiGenerateContentResponse {
  const doc = tryParseJson(text);
  if (!isRecord(doc)) throw failure('upstream answered 2xx with a body that is not a JSON object');
  if (isRecord(doc['error'])) throw new UpstreamError(classifyErrorPayload(doc));
  return doc as GeminiGenerateContentResponse;
}

export function translateResponse(req: ClientRequest, body: Buffer, target: UpstreamTarget): TranslatedResponse {
  const text = body.toString('utf8');
  return req.operation === 'embeddings' ? translateEmbeddings(req, text, target) : translateChat(text, target);
}

function translateChat(text: string, target: UpstreamTarget): TranslatedResponse {
  const doc = parseAnswer(text);
  const responseId = doc.responseId ?? '';
  const candidates = Array.isArray(doc.candidates) ? doc.candidates : [];
  const blocked = doc.promptFeedback?.blockReason;
  const choices =
    candidates.length === 0 && blocked !== undefined
      ? [{ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: 'content_filter' }]
      : candidates.map((candidate, position) => {
          const index = typeof candidate.index === 'number' ? candidate.index : position;
          let content = '';
          const calls: OpenAIToolCall[] = [];
          for (const part of partsOf(candidate)) {
            if (typeof part.text === 'string') content += part.text;
            if (isRecord(part.functionCall)) {
              calls.push({
                id: toolCallId(responseId, index, calls.length, part),
                type: 'function',
                function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
              });
            }
          }
          const message: Record<string, unknown> = {
            role: 'assistant',
            content: content === '' && calls.length > 0 ? null : content,
            refusal: null,
          };
          if (calls.length > 0) message['tool_calls'] = calls;
          return {
            index,
            message,
            logprobs: null,
            finish_reason: finishReasonOf(candidate.finishReason ?? 'STOP', calls.length > 0),
          };
        });
  if (choices.length === 0) throw failure('upstream answered without candidates and without a block reason');
  const usage = usageOf(doc.usageMetadata);
  const model = typeof doc.modelVersion === 'string' && doc.modelVersion !== '' ? doc.modelVersion : undefined;
  const out: Record<string, unknown> = {
    id: chatIdOf(doc),
    object: 'chat.completion',
    created: createdOf(doc),
    model: model ?? target.model,
    choices,
  };
  if (usage) out['usage'] = openAIUsage(usage, doc.usageMetadata);
  const translated: TranslatedResponse = { body: JSON.stringify(out) };
  if (model !== undefined) translated.model = model;
  if (usage) translated.usage = usage;
  return translated;
}

/** embedContent (`embedding`) or batchEmbedContents (`embeddings`), in the encoding the client asked. */
function translateEmbeddings(req: ClientRequest, text: string, target: UpstreamTarget): TranslatedResponse {
  const doc = tryParseJson(text);
  if (!isRecord(doc)) throw failure('upstream answered 2xx with a body that is not a JSON object');
  if (isRecord(doc['error'])) throw new UpstreamError(classifyErrorPayload(doc));
  const list: unknown[] = Array.isArray(doc['embeddings']) ? doc['embeddings'] : isRecord(doc['embedding']) ? [doc['embedding']] : [];
  if (list.length === 0) throw failure('upstream answered embeddings without any vector');
  const base64 = req.body['encoding_format'] === 'base64';
  const data = list.map((item, index) => {
    const values = isRecord(item) ? item['values'] : undefined;
    if (!isFloatArray(values)) throw failure('upstream answered an embedding without numeric values');
    return { object: 'embedding', index, embedding: base64 ? floatsToBase64(values) : values };
  });
  // The Gemini API reports no token counts for embeddings: zero rather than a guess.
  const body = { object: 'list', data, model: target.model, usage: { prompt_tokens: 0, total_tokens: 0 } };
  return { body: JSON.stringify(body) };
}
