/**
 * The simulator's HTTP server (plain node:http: it must stay cheaper than the gateway it stands in
 * front of). Reads each body once, records the request, checks the key for /v1 paths, and routes:
 * chat and legacy completions to a Generation (paced by the engine model when a vllm simulator has an
 * `engine` profile, sim/engine/), embeddings, models, /health, /metrics (vllm kind: the engine's page then),
 * the /sim admin API, and 404 in the kind's error format for anything else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdmin } from './admin.js';
import { SimContext } from './context.js';
import { embeddingsBody, parseEmbeddingsRequest } from './embeddings.js';
import { Exchange } from './exchange.js';
import type { Fault, FaultOperation } from './faults.js';
import { tokenCount } from './engine/tokens.js';
import { Generation } from './generation.js';
import { isRejection, parseCompletionRequest, type CompletionOperation } from './request.js';
import { modelsBody } from './responses.js';
import { resolveOptions, type RunningSimulator, type SimOperation, type SimulatorOptions } from './types.js';
import { nativeWires } from './native/index.js';
import { handleFiles } from './files.js';
import { handleUpgrade } from './realtime.js';
import { openAIResponses, retrieveResponse } from './responses-api.js';

/** Bodies beyond this are refused: no test or benchmark sends more, and memory stays bounded. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

function operationOf(method: string, path: string): SimOperation {
  if (method === 'POST') {
    if (path === '/v1/chat/completions') return 'chat';
    if (path === '/v1/completions') return 'completions';
    if (path === '/v1/embeddings') return 'embeddings';
  } else if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) return 'models';
  return 'other';
}

/** The fault for this request, if any, counted once it applies. */
function takeFault(sim: SimContext, operation: FaultOperation, stream: boolean): Fault | undefined {
  const fault = sim.faults.take({ operation, stream });
  if (fault) sim.counters.faultsApplied += 1;
  return fault;
}

/** Chat and legacy completions: invalid requests, other models and too-long prompts are answered before any fault. */
function completion(sim: SimContext, res: ServerResponse, operation: CompletionOperation, body: unknown): void {
  const engine = sim.engine;
  const request = parseCompletionRequest(operation, body, sim.options.prefill, engine !== undefined);
  if (isRejection(request)) return new Exchange(sim, res).error(request.status, { message: request.message, param: request.param });
  if (request.model !== sim.options.model) return new Exchange(sim, res).json(404, sim.flavor.modelNotFound(request.model));
  const limit = sim.options.maxModelLen;
  if (limit !== undefined && request.promptTokens + (request.maxTokens ?? 0) > limit) {
    return new Exchange(sim, res).json(400, sim.flavor.contextLengthExceeded(limit, request.promptTokens, request.maxTokens));
  }
  // The engine must be able to hold the prompt's KV at all, or it would wait for ever.
  const engineTokens = engine ? Math.max(1, tokenCount(request.promptText ?? '')) : 0;
  if (engine && !engine.fits(engineTokens)) {
    return new Exchange(sim, res).json(400, sim.flavor.contextLengthExceeded(engine.capacityTokens, engineTokens, request.maxTokens));
  }
  const fault = takeFault(sim, operation, request.stream);
  if (fault === undefined && sim.options.failRate > 0 && sim.random() < sim.options.failRate) return new Exchange(sim, res).error(500);
  new Generation(sim, res, request, fault).start();
}

function embeddings(sim: SimContext, exchange: Exchange, body: unknown): void {
  const request = parseEmbeddingsRequest(body, sim.options.embeddingDims);
  if (isRejection(request)) return exchange.error(request.status, { message: request.message, param: request.param });
  if (request.model !== sim.options.model) return exchange.json(404, sim.flavor.modelNotFound(request.model));
  const fault = takeFault(sim, 'embeddings', false);
  if (exchange.leadingFault(fault)) return;
  const delay = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
  exchange.jsonAfter(delay, 200, embeddingsBody(request, fault?.type === 'drift' ? fault.model : request.model), fault);
}

function route(
  sim: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  body: unknown,
  invalidJson: boolean,
): void {
  const { options, flavor } = sim;
  if (nativeWires[options.kind]?.route(sim, req, res, method, path, body, invalidJson)) return;
  if (options.apiKey !== undefined && path.startsWith('/v1/') && req.headers.authorization !== `Bearer ${options.apiKey}`) {
    return new Exchange(sim, res).error(401);
  }
  if (method === 'POST' && path === '/v1/responses' && flavor.kind === 'openai') return openAIResponses(sim, res, body, invalidJson);
  if (method === 'GET' && path.startsWith('/v1/responses/') && flavor.kind === 'openai')
    return retrieveResponse(sim, res, path.slice('/v1/responses/'.length));
  const operation = operationOf(method, path);
  if (invalidJson && method === 'POST' && operation !== 'other') {
    return new Exchange(sim, res).error(400, { message: 'The request body is not valid JSON.' });
  }
  switch (operation) {
    case 'chat':
    case 'completions':
      return completion(sim, res, operation, body);
    case 'embeddings':
      return embeddings(sim, new Exchange(sim, res), body);
    case 'models': {
      const exchange = new Exchange(sim, res);
      if (exchange.leadingFault(takeFault(sim, 'models', false))) return;
      if (path === '/v1/models') return exchange.json(200, modelsBody(flavor, options.model, sim.startedAt, sim.maxModelLen));
      let id = path.slice('/v1/models/'.length);
      try {
        id = decodeURIComponent(id);
      } catch {
        // Malformed %-escapes: matched as written, which finds no model.
      }
      if (id !== options.model) return exchange.json(404, flavor.modelNotFound(id));
      return exchange.json(200, flavor.modelCard(options.model, sim.startedAt, sim.maxModelLen));
    }
    default:
      break;
  }
  const exchange = new Exchange(sim, res, false);
  if (method === 'GET' && path === '/health') return exchange.text(200, undefined, '');
  if (method === 'GET' && path === '/metrics' && flavor.kind === 'vllm') {
    const page = sim.engine ? sim.engine.metricsText(options.model) : sim.scheduler.renderMetrics(options.model, Date.now());
    return exchange.text(200, 'text/plain; version=0.0.4; charset=utf-8', page);
  }
  exchange.error(404, { message: flavor.kind === 'openai' ? `Invalid URL (${method} ${path})` : 'Not Found' });
}

function onBody(sim: SimContext, req: IncomingMessage, res: ServerResponse, text: string): void {
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  let body: unknown = null;
  let invalidJson = false;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      invalidJson = true;
    }
  }
  if (path.startsWith('/sim/') && handleAdmin(sim, method, path, body, invalidJson, res)) return;
  const counters = sim.counters;
  counters.requests += 1;
  counters.byOperation[(nativeWires[sim.options.kind]?.operationOf ?? operationOf)(method, path)] += 1;
  sim.record({ method, path, headers: req.headers, body, at: Date.now() });
  try {
    route(sim, req, res, method, path, body, invalidJson);
  } catch (err) {
    // The simulator runs inside the demo gateway and the test processes: a bug here must cost one
    // request, not the process.
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(sim.flavor.errorBody(500, { message: `simulator error: ${(err as Error).message}` })));
    } else res.destroy();
  }
}

function onRequest(sim: SimContext, req: IncomingMessage, res: ServerResponse): void {
  // Uploads stream: /v1/files reads its own body (sim/files.ts).
  if (handleFiles(sim, req, res)) return;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(sim.flavor.errorBody(413, { message: 'Request body too large' })));
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    onBody(sim, req, res, text);
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const resolved = resolveOptions(options);
  const sim = new SimContext(resolved);
  // No request timeout: a hang fault must last until the client or close() ends it.
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 10_000 }, (req, res) => onRequest(sim, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => handleUpgrade(sim, req, socket, head));
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server, resolved.port, resolved.host);
  const port = (server.address() as AddressInfo).port;
  const host = resolved.host === '0.0.0.0' || resolved.host === '::' ? '127.0.0.1' : resolved.host;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    kind: resolved.kind,
    model: resolved.model,
    port,
    origin,
    url: `${origin}${nativeWires[resolved.kind]?.basePath ?? '/v1'}`,
    stats: () => sim.stats(),
    resetStats: () => sim.resetStats(),
    setFaults: (faults) => sim.faults.set(faults),
    clearFaults: () => sim.faults.clear(),
    recentRequests: () => sim.recentRequests(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
