/**
 * InvokeModel for the embedding families Bedrock serves, each in its own body: Amazon Titan
 * (`{inputText, dimensions?}` -> `{embedding, inputTextTokenCount}`) and Cohere Embed (`{texts,
 * input_type}` -> `{id, embeddings, texts, response_type: "embeddings_floats"}`). The vectors are the
 * shared simulator's (sim/embeddings.ts): the same text gets the same vector from every kind.
 */
import { embed } from '../../embeddings.js';
import { isRecord, type Rejection } from '../../request.js';

const reject = (message: string): Rejection => ({ status: 400, message, param: null });

const tokensOf = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

export function invokeEmbeddings(model: string, body: unknown, defaultDims: number, id: string): Record<string, unknown> | Rejection {
  if (!isRecord(body)) return reject('Malformed input request, please reformat your input and try again.');
  if (/(?:^|\.)cohere\.embed/.test(model)) {
    const texts = body['texts'];
    if (!Array.isArray(texts) || texts.length === 0 || texts.length > 96 || !texts.every((t) => typeof t === 'string'))
      return reject('Malformed input request: #/texts: expected an array of 1 to 96 strings, please reformat your input and try again.');
    if (typeof body['input_type'] !== 'string')
      return reject('Malformed input request: #: required key [input_type] not found, please reformat your input and try again.');
    const embeddings = (texts as string[]).map((t) => Array.from(embed(t, defaultDims)));
    return { id, embeddings, texts, response_type: 'embeddings_floats' };
  }
  if (/(?:^|\.)amazon\.titan-embed/.test(model)) {
    const text = body['inputText'];
    if (typeof text !== 'string' || text === '')
      return reject('Malformed input request: #: required key [inputText] not found, please reformat your input and try again.');
    const dims = Number.isInteger(body['dimensions']) ? (body['dimensions'] as number) : defaultDims;
    return { embedding: Array.from(embed(text, dims)), inputTextTokenCount: tokensOf(text) };
  }
  return reject(`The model ${model} does not support embeddings through InvokeModel in this simulator (Titan or Cohere Embed only).`);
}
