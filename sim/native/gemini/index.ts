/**
 * The `gemini` simulator kind: Google's Gemini API wire over the shared generation, scheduler,
 * faults and stats. Paths carry the version (`/v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:embedContent`, `:batchEmbedContents`, `GET /v1beta/models`),
 * so the base path is ''; Vertex AI's paths (`/v1/projects/{p}/locations/{l}/publishers/google/models/
 * {model}:generateContent`) are served too, same JSON, and Vertex's embeddings `:predict` on them
 * (instances in, predictions out). The key, when set, must come as
 * `x-goog-api-key`, `?key=` or (Vertex) `Authorization: Bearer`: a missing key is Google's 403, a
 * wrong one its 400 API_KEY_INVALID. Errors are google.rpc bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from '../../context.js';
import type { Fault, FaultOperation } from '../../faults.js';
import { isRejection } from '../../request.js';
import type { SimOperation } from '../../types.js';
import type { NativeWire } from '../wire.js';
import { embedBody, parseEmbed, parsePredict, predictBody } from './embeddings.js';
import { contextTooLong, googleError, invalidKey, missingKey, modelNotFound } from './errors.js';
import { GeminiGeneration, GoogleExchange } from './generation.js';
import { parseGenerateContent } from './request.js';

const methodPath = /^\/(v1beta|v1)\/models\/([^/:]+):([A-Za-z]+)$/;
/** Vertex AI's form of the same methods: the model under a project, location and publisher. */
const vertexPath = /^\/(v1beta1|v1)\/projects\/[^/]+\/locations\/[^/]+\/publishers\/[^/]+\/models\/([^/:]+):([A-Za-z]+)$/;
const modelsPath = /^\/(v1beta|v1)\/models(?:\/([^/:]+))?$/;

const operations: Readonly<Record<string, SimOperation>> = {
  generateContent: 'chat',
  streamGenerateContent: 'chat',
  embedContent: 'embeddings',
  batchEmbedContents: 'embeddings',
};

/** Vertex AI serves the same methods, and embeds through the prediction service. */
const vertexOperations: Readonly<Record<string, SimOperation>> = { ...operations, predict: 'embeddings' };

interface MethodCall {
  version: string;
  model: string;
  action: string;
  operation: SimOperation | undefined;
}

function callOf(path: string): MethodCall | undefined {
  const api = methodPath.exec(path);
  if (api) return { version: api[1]!, model: api[2]!, action: api[3]!, operation: operations[api[3]!] };
  const vertex = vertexPath.exec(path);
  if (vertex) return { version: vertex[1]!, model: vertex[2]!, action: vertex[3]!, operation: vertexOperations[vertex[3]!] };
  return undefined;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function keyOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-goog-api-key'];
  if (typeof header === 'string') return header;
  // Vertex AI: an OAuth access token; the simulator takes its key as the one valid token.
  const bearer = req.headers.authorization;
  if (typeof bearer === 'string' && bearer.startsWith('Bearer ')) return bearer.slice('Bearer '.length);
  const query = new URL(req.url ?? '/', 'http://sim.invalid').searchParams.get('key');
  return query ?? undefined;
}

function takeFault(sim: SimContext, operation: FaultOperation, stream: boolean): Fault | undefined {
  const fault = sim.faults.take({ operation, stream });
  if (fault) sim.counters.faultsApplied += 1;
  return fault;
}

function modelCard(model: string, limit: number): Record<string, unknown> {
  return {
    name: `models/${model}`,
    version: '001',
    displayName: model,
    description: 'Simulated Gemini model (switchyard sim)',
    inputTokenLimit: limit,
    outputTokenLimit: 8192,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'embedContent', 'batchEmbedContents'],
    temperature: 1,
    topP: 0.95,
    topK: 40,
  };
}

function generate(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  model: string,
  version: string,
  method: string,
  body: unknown,
): void {
  const stream = method === 'streamGenerateContent';
  if (stream && new URL(req.url ?? '/', 'http://sim.invalid').searchParams.get('alt') !== 'sse') {
    return new GoogleExchange(sim, res).error(400, {
      message: 'This simulator streams with alt=sse only (the JSON-array stream is not simulated).',
    });
  }
  if (model !== sim.options.model) return new GoogleExchange(sim, res).json(404, modelNotFound(model, version, method));
  const request = parseGenerateContent(model, body, stream);
  if (isRejection(request)) return new GoogleExchange(sim, res).error(request.status, { message: request.message });
  const limit = sim.options.maxModelLen;
  if (limit !== undefined && request.promptTokens > limit)
    return new GoogleExchange(sim, res).json(400, contextTooLong(request.promptTokens, limit));
  const fault = takeFault(sim, 'chat', stream);
  if (fault === undefined && sim.options.failRate > 0 && sim.random() < sim.options.failRate)
    return new GoogleExchange(sim, res).error(500);
  new GeminiGeneration(sim, res, request, fault).start();
}

function embedContent(sim: SimContext, res: ServerResponse, model: string, version: string, method: string, body: unknown): void {
  const exchange = new GoogleExchange(sim, res);
  if (model !== sim.options.model) return exchange.json(404, modelNotFound(model, version, method));
  const request = parseEmbed(model, body, method === 'batchEmbedContents', sim.options.embeddingDims);
  if (isRejection(request)) return exchange.error(request.status, { message: request.message });
  const fault = takeFault(sim, 'embeddings', false);
  if (exchange.leadingFault(fault)) return;
  const delay = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
  exchange.jsonAfter(delay, 200, embedBody(request), fault);
}

function predict(sim: SimContext, res: ServerResponse, model: string, version: string, body: unknown): void {
  const exchange = new GoogleExchange(sim, res);
  if (model !== sim.options.model) return exchange.json(404, modelNotFound(model, version, 'predict'));
  const request = parsePredict(body, sim.options.embeddingDims);
  if (isRejection(request)) return exchange.error(request.status, { message: request.message });
  const fault = takeFault(sim, 'embeddings', false);
  if (exchange.leadingFault(fault)) return;
  const delay = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
  exchange.jsonAfter(delay, 200, predictBody(request), fault);
}

function models(sim: SimContext, res: ServerResponse, version: string, id: string | undefined): void {
  const exchange = new GoogleExchange(sim, res);
  if (exchange.leadingFault(takeFault(sim, 'models', false))) return;
  const card = modelCard(sim.options.model, sim.options.maxModelLen ?? 1_048_576);
  if (id === undefined) return exchange.json(200, { models: [card] });
  const name = decoded(id);
  if (name !== sim.options.model) return exchange.json(404, modelNotFound(name, version, 'get'));
  exchange.json(200, card);
}

export const geminiWire: NativeWire = {
  basePath: '',
  operationOf(method, path) {
    const call = callOf(path);
    if (method === 'POST' && call) return call.operation ?? 'other';
    if (method === 'GET' && modelsPath.test(path)) return 'models';
    return 'other';
  },
  route(sim, req, res, method, path, body, invalidJson) {
    const call = callOf(path);
    const list = call ? undefined : modelsPath.exec(path);
    if (!call && !list) return false;
    const key = sim.options.apiKey;
    if (key !== undefined) {
      const sent = keyOf(req);
      if (sent === undefined) return (new GoogleExchange(sim, res).json(403, missingKey()), true);
      if (sent !== key) return (new GoogleExchange(sim, res).json(400, invalidKey()), true);
    }
    if (list) {
      if (method !== 'GET') return (new GoogleExchange(sim, res).json(404, googleError(404, `Method not found: ${method} ${path}`)), true);
      models(sim, res, list[1]!, list[2]);
      return true;
    }
    const { version, model, action, operation } = call!;
    if (method !== 'POST' || operation === undefined) {
      new GoogleExchange(sim, res).json(404, googleError(404, `Method not found: ${action}`));
      return true;
    }
    if (invalidJson) {
      new GoogleExchange(sim, res).error(400, { message: 'Invalid JSON payload received. Unexpected token.' });
      return true;
    }
    if (operation === 'chat') generate(sim, req, res, decoded(model), version, action, body);
    else if (action === 'predict') predict(sim, res, decoded(model), version, body);
    else embedContent(sim, res, decoded(model), version, action, body);
    return true;
  },
};
