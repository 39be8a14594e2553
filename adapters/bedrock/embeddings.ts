/**
 * Embeddings on Bedrock are InvokeModel calls in the model family's own body, not one API: Amazon
 * Titan (`amazon.titan-embed-text-v1`, `-v2:0`) embeds one `inputText` per call, Cohere Embed
 * (`cohere.embed-english-v3`, `-multilingual-v3`) up to 96 `texts` with a required `input_type`
 * (documents: `search_document`). One OpenAI request is one upstream call, so Titan takes a single input;
 * a list of several is refused with a 400 that says so. Token ids (OpenAI's integer inputs) have no
 * counterpart. Titan reports its input tokens; Cohere reports them in a header the adapter does not see.
 */
import type { ClientRequest, TranslatedResponse, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { floatsToBase64, isFloatArray } from '../shared/float32-base64.js';
import type { CohereEmbeddingRequest, TitanEmbeddingRequest } from './wire.js';

type Family = 'titan' | 'cohere';

/** Cohere Embed on Bedrock takes at most this many texts per call. */
const cohereMaxTexts = 96;

/** The family by model id, after any cross-region prefix (`us.`, `eu.`...) or ARN path. */
export function embeddingFamily(model: string): Family | undefined {
  const id = model.slice(model.lastIndexOf('/') + 1);
  if (/(?:^|\.)amazon\.titan-embed/.test(id)) return 'titan';
  if (/(?:^|\.)cohere\.embed/.test(id)) return 'cohere';
  return undefined;
}

function badRequest(message: string, param: string | null = 'input'): UpstreamError {
  return new UpstreamError(upstreamErrorOf('bad_request', message, { status: 400, code: null, param }));
}

function inputsOf(body: Readonly<JsonObject>): string[] {
  const input = body['input'];
  const list: unknown[] = Array.isArray(input) ? input : [input];
  if (list.length === 0 || !list.every((v): v is string => typeof v === 'string'))
    throw badRequest('Bedrock embeddings take text input (a string or an array of strings), not token ids');
  return list as string[];
}

export function embeddingsBody(body: Readonly<JsonObject>, model: string): TitanEmbeddingRequest | CohereEmbeddingRequest {
  const family = embeddingFamily(model);
  const inputs = inputsOf(body);
  if (family === 'titan') {
    if (inputs.length !== 1) throw badRequest('Amazon Titan embeds one text per call: send one input per request');
    const out: TitanEmbeddingRequest = { inputText: inputs[0]! };
    if (typeof body['dimensions'] === 'number') out.dimensions = body['dimensions'];
    return out;
  }
  if (family === 'cohere') {
    if (inputs.length > cohereMaxTexts) throw badRequest(`Cohere Embed on Bedrock takes at most ${cohereMaxTexts} inputs per request`);
    return { texts: inputs, input_type: 'search_document' };
  }
  throw badRequest(`'${model}' is not a Bedrock embedding model this adapter knows (Amazon Titan or Cohere Embed)`, 'model');
}

function failure(message: string): UpstreamError {
  return new UpstreamError(upstreamErrorOf('server', message, { code: null, param: null }));
}

/** The vectors of an InvokeModel answer, as OpenAI's list, in the encoding the client asked for. */
export function translateEmbeddings(req: ClientRequest, body: Buffer, target: UpstreamTarget): TranslatedResponse {
  const doc = tryParseJson(body.toString('utf8'));
  if (!isRecord(doc)) throw failure('Bedrock answered embeddings with a body that is not a JSON object');
  let vectors: unknown[];
  let promptTokens = 0;
  if (Array.isArray(doc['embeddings'])) vectors = doc['embeddings'];
  else if (Array.isArray(doc['embedding'])) {
    vectors = [doc['embedding']];
    if (typeof doc['inputTextTokenCount'] === 'number') promptTokens = doc['inputTextTokenCount'];
  } else throw failure('Bedrock answered embeddings without an embedding or embeddings member');
  const base64 = req.body['encoding_format'] === 'base64';
  const data = vectors.map((vector, index) => {
    if (!Array.isArray(vector) || !isFloatArray(vector)) throw failure('Bedrock answered an embedding that is not a list of numbers');
    return { object: 'embedding', index, embedding: base64 ? floatsToBase64(vector) : vector };
  });
  const usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  const response = { object: 'list', data, model: target.model, usage };
  return { body: JSON.stringify(response), usage: { promptTokens, completionTokens: 0, totalTokens: promptTokens } };
}
