/**
 * Vertex AI embeddings (`vertex` type): not the Gemini API's `embedContent`, but the prediction
 * service, `POST {model path}:predict` with `{instances: [{content}], parameters?: {outputDimensionality}}`,
 * answered by `{predictions: [{embeddings: {values, statistics: {token_count, truncated}}}], metadata}`.
 * One instance per OpenAI input, in order; `dimensions` is `outputDimensionality`; token-id inputs are
 * refused (Vertex embeds text). Usage is the sum of the instances' `token_count`. `autoTruncate` is
 * left to Vertex (its default truncates). Some models take one instance a request
 * (gemini-embedding-001): a list is sent as it is, and Vertex's 400 for it comes back as Google's error.
 */
import type { ClientRequest, TranslatedResponse, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson } from '../shared/json.js';
import { floatsToBase64, isFloatArray } from '../shared/float32-base64.js';
import { classifyErrorPayload } from './errors.js';
import { upstreamHeaders } from './request.js';
import type { VertexPredictEmbeddingsRequest } from './wire.js';

function invalid(message: string, param: string | null = null): UpstreamError {
  return new UpstreamError(upstreamErrorOf('bad_request', message, { status: 400, code: 'invalid_request_error', param }));
}

function failure(message: string): UpstreamError {
  return new UpstreamError(upstreamErrorOf('server', message, { code: null, param: null }));
}

/** OpenAI embeddings as a `:predict` at `base` (the model's Vertex path). */
export function buildVertexEmbeddingsRequest(req: ClientRequest, base: string, target: UpstreamTarget): UpstreamHttpRequest {
  const input = req.body['input'];
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((s) => typeof s === 'string') ? input : undefined;
  if (texts === undefined || texts.length === 0) {
    throw invalid("'input' must be a string or an array of strings (Vertex AI embeds text, not token ids)", 'input');
  }
  const dimensions = req.body['dimensions'];
  const body: VertexPredictEmbeddingsRequest = { instances: texts.map((content) => ({ content })) };
  if (typeof dimensions === 'number' && Number.isFinite(dimensions)) body.parameters = { outputDimensionality: dimensions };
  return { method: 'POST', path: `${base}:predict`, headers: upstreamHeaders(target.provider, false), body: JSON.stringify(body) };
}

/** `predictions[i].embeddings.values` in the encoding the client asked, usage from `token_count`. */
export function translateVertexEmbeddings(req: ClientRequest, text: string, target: UpstreamTarget): TranslatedResponse {
  const doc = tryParseJson(text);
  if (!isRecord(doc)) throw failure('upstream answered 2xx with a body that is not a JSON object');
  if (isRecord(doc['error'])) throw new UpstreamError(classifyErrorPayload(doc));
  const predictions: unknown[] = Array.isArray(doc['predictions']) ? doc['predictions'] : [];
  if (predictions.length === 0) throw failure('upstream answered embeddings without any prediction');
  const base64 = req.body['encoding_format'] === 'base64';
  let promptTokens = 0;
  const data = predictions.map((prediction, index) => {
    const embeddings = isRecord(prediction) ? prediction['embeddings'] : undefined;
    const values = isRecord(embeddings) ? embeddings['values'] : undefined;
    if (!isRecord(embeddings) || !isFloatArray(values)) throw failure('upstream answered an embedding without numeric values');
    const statistics = embeddings['statistics'];
    const count = isRecord(statistics) ? Number(statistics['token_count']) : NaN;
    if (Number.isFinite(count) && count > 0) promptTokens += count;
    return { object: 'embedding', index, embedding: base64 ? floatsToBase64(values) : values };
  });
  const usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  const body = { object: 'list', data, model: target.model, usage };
  return { body: JSON.stringify(body), usage: { promptTokens, completionTokens: 0, totalTokens: promptTokens } };
}
