/**
 * POST /v1/embeddings: one deterministic unit vector per input, from a hash of that input, so the
 * same text always embeds to the same vector on every simulator. Vectors are float32 from the start:
 * the float and base64 (little-endian float32) encodings of one request decode to the same numbers.
 */
import { createRandom, HASH_SEED, hashNumber, hashString } from './random.js';
import { isRecord, type Rejection } from './request.js';

export interface EmbeddingsRequest {
  model: string;
  inputs: Array<string | number[]>;
  dimensions: number;
  base64: boolean;
  promptTokens: number;
}

const MAX_DIMENSIONS = 8192;
const MAX_INPUTS = 2048;

const reject = (message: string, param: string | null): Rejection => ({ status: 400, message, param });

const isTokenArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.length > 0 && value.every((t) => Number.isInteger(t));

function readInputs(input: unknown): Array<string | number[]> | undefined {
  if (typeof input === 'string') return [input];
  if (isTokenArray(input)) return [input];
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUTS) return undefined;
  if (input.every((i) => typeof i === 'string')) return input as string[];
  if (input.every(isTokenArray)) return input as number[][];
  return undefined;
}

export function parseEmbeddingsRequest(body: unknown, defaultDimensions: number): EmbeddingsRequest | Rejection {
  if (!isRecord(body)) return reject('The request body must be a JSON object', null);
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return reject("'model' is required", 'model');
  const inputs = readInputs(body['input']);
  if (!inputs) return reject("'input' must be a non-empty string, array of strings, or token ids (at most 2048 items)", 'input');
  const dims = body['dimensions'];
  if (dims !== undefined && dims !== null && (!Number.isInteger(dims) || (dims as number) < 1 || (dims as number) > MAX_DIMENSIONS)) {
    return reject(`'dimensions' must be an integer between 1 and ${MAX_DIMENSIONS}`, 'dimensions');
  }
  const format = body['encoding_format'];
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64') {
    return reject("'encoding_format' must be 'float' or 'base64'", 'encoding_format');
  }
  let promptTokens = 0;
  for (const input of inputs) promptTokens += typeof input === 'string' ? Math.max(1, Math.ceil(input.length / 4)) : input.length;
  return { model, inputs, dimensions: typeof dims === 'number' ? dims : defaultDimensions, base64: format === 'base64', promptTokens };
}

/** A unit-length float32 vector drawn from the input's hash. */
export function embed(input: string | number[], dimensions: number): Float32Array {
  let hash = HASH_SEED;
  if (typeof input === 'string') hash = hashString(input, hash);
  else for (const token of input) hash = hashNumber(token, hash);
  const random = createRandom(hash);
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const v = random() * 2 - 1;
    vector[i] = v;
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
  for (let i = 0; i < dimensions; i++) vector[i] = vector[i]! * scale;
  return vector;
}

/** Little-endian float32 bytes, base64: what OpenAI sends and openai-node decodes. */
export function float32Base64(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}

export function embeddingsBody(request: EmbeddingsRequest, model: string): Record<string, unknown> {
  const data = request.inputs.map((input, index) => {
    const vector = embed(input, request.dimensions);
    return { object: 'embedding', index, embedding: request.base64 ? float32Base64(vector) : Array.from(vector) };
  });
  return { object: 'list', data, model, usage: { prompt_tokens: request.promptTokens, total_tokens: request.promptTokens } };
}
