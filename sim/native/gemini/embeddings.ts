/**
 * `embedContent` and `batchEmbedContents`: the shared deterministic vectors (sim/embeddings.ts), one
 * per text, in Google's shapes (`{embedding: {values}}`, `{embeddings: [{values}]}`); and Vertex AI's
 * `:predict` (`{instances: [{content}]}` in, `{predictions: [{embeddings: {values, statistics}}]}` out).
 */
import { embed } from '../../embeddings.js';
import { isRecord, type Rejection } from '../../request.js';

const reject = (message: string): Rejection => ({ status: 400, message, param: null });

export interface EmbedRequest {
  texts: string[];
  dimensions: number;
  batch: boolean;
}

function textOf(content: unknown, where: string): string | Rejection {
  if (!isRecord(content) || !Array.isArray(content['parts']) || content['parts'].length === 0) {
    return reject(`* ${where}.content.parts: contents.parts must not be empty.\n`);
  }
  let text = '';
  for (const part of content['parts']) if (isRecord(part) && typeof part['text'] === 'string') text += part['text'];
  return text;
}

function dimensionsOf(value: unknown, fallback: number): number | Rejection {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 3072) {
    return reject('* EmbedContentRequest.output_dimensionality: must be between 1 and 3072\n');
  }
  return value as number;
}

export function parseEmbed(model: string, body: unknown, batch: boolean, defaultDimensions: number): EmbedRequest | Rejection {
  if (!isRecord(body)) return reject('Invalid JSON payload received. Expected an object.');
  if (!batch) {
    const text = textOf(body['content'], 'EmbedContentRequest');
    if (typeof text !== 'string') return text;
    const dimensions = dimensionsOf(body['outputDimensionality'], defaultDimensions);
    if (typeof dimensions !== 'number') return dimensions;
    return { texts: [text], dimensions, batch };
  }
  const requests = body['requests'];
  if (!Array.isArray(requests) || requests.length === 0) return reject('* BatchEmbedContentsRequest.requests: requests is not specified\n');
  if (requests.length > 100) return reject('* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n');
  const texts: string[] = [];
  let dimensions = defaultDimensions;
  for (let i = 0; i < requests.length; i++) {
    const request: unknown = requests[i];
    if (!isRecord(request)) return reject(`* BatchEmbedContentsRequest.requests[${i}]: must be an object\n`);
    if (request['model'] !== undefined && request['model'] !== `models/${model}`) {
      return reject(`* BatchEmbedContentsRequest.requests[${i}].model: model must be the same as the batch's (models/${model})\n`);
    }
    const text = textOf(request['content'], `BatchEmbedContentsRequest.requests[${i}]`);
    if (typeof text !== 'string') return text;
    const asked = dimensionsOf(request['outputDimensionality'], defaultDimensions);
    if (typeof asked !== 'number') return asked;
    dimensions = asked;
    texts.push(text);
  }
  return { texts, dimensions, batch };
}

export function embedBody(request: EmbedRequest): Record<string, unknown> {
  const vectors = request.texts.map((text) => ({ values: Array.from(embed(text, request.dimensions)) }));
  return request.batch ? { embeddings: vectors } : { embedding: vectors[0] };
}

/** Vertex AI's `:predict` for text embeddings: the instances, in order, and the output size. */
export interface PredictRequest {
  texts: string[];
  dimensions: number;
}

const taskTypes = new Set([
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
]);

/** Vertex takes at most 250 instances a request. */
const MAX_INSTANCES = 250;

export function parsePredict(body: unknown, defaultDimensions: number): PredictRequest | Rejection {
  if (!isRecord(body)) return reject('Invalid JSON payload received. Expected an object.');
  const instances = body['instances'];
  if (!Array.isArray(instances) || instances.length === 0) return reject('Invalid argument: instances must not be empty.');
  if (instances.length > MAX_INSTANCES) {
    return reject(`Invalid argument: the request has ${instances.length} instances; at most ${MAX_INSTANCES} are allowed.`);
  }
  const texts: string[] = [];
  for (let i = 0; i < instances.length; i++) {
    const instance: unknown = instances[i];
    if (!isRecord(instance) || typeof instance['content'] !== 'string') {
      return reject(`Invalid argument: instances[${i}].content is required and must be a string.`);
    }
    const task = instance['task_type'];
    if (task !== undefined && (typeof task !== 'string' || !taskTypes.has(task))) {
      return reject(`Invalid argument: instances[${i}].task_type ${JSON.stringify(task)} is not a valid task type.`);
    }
    texts.push(instance['content']);
  }
  const parameters = body['parameters'] ?? {};
  if (!isRecord(parameters)) return reject('Invalid argument: parameters must be an object.');
  const truncate = parameters['autoTruncate'];
  if (truncate !== undefined && typeof truncate !== 'boolean')
    return reject('Invalid argument: parameters.autoTruncate must be a boolean.');
  const asked = parameters['outputDimensionality'];
  if (asked !== undefined && (!Number.isInteger(asked) || (asked as number) < 1 || (asked as number) > 3072)) {
    return reject('Invalid argument: parameters.outputDimensionality must be an integer between 1 and 3072.');
  }
  return { texts, dimensions: typeof asked === 'number' ? asked : defaultDimensions };
}

/** Tokens of one instance, as the OpenAI kinds count an input (sim/embeddings.ts). */
const tokensOf = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

export function predictBody(request: PredictRequest): Record<string, unknown> {
  const predictions = request.texts.map((text) => ({
    embeddings: { values: Array.from(embed(text, request.dimensions)), statistics: { token_count: tokensOf(text), truncated: false } },
  }));
  const billableCharacterCount = request.texts.reduce((sum, text) => sum + text.length, 0);
  return { predictions, metadata: { billableCharacterCount } };
}
