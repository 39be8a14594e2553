/**
 * The `azure` simulator kind: Azure OpenAI's wire over the shared generation. Requests arrive at
 * deployment URLs (`/openai/deployments/<name>/…?api-version=`) or the v1 API (`/openai/v1/…`, the
 * deployment as `model`), signed with an `api-key` header (or an Entra ID bearer) when the simulator
 * has a key. The simulator's `model` is the deployment's name; answers name the model version behind
 * it (`azureChatModel`, `azureEmbeddingsModel`), as Azure's do, unless a drift fault names another.
 * Generation, faults, timing and stats are the shared ones; response-tap.ts dresses their output in
 * Azure's details (filter verdicts, the filter-only first chunk, error bodies, headers).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from '../../context.js';
import { embeddingsBody, parseEmbeddingsRequest } from '../../embeddings.js';
import { Exchange } from '../../exchange.js';
import type { Fault, FaultOperation } from '../../faults.js';
import { Generation } from '../../generation.js';
import { isRecord, isRejection, parseCompletionRequest } from '../../request.js';
import type { NativeWire } from '../wire.js';
import { apiVersionOf, azureAddressOf, azureOperationOf, firstResponsesApiVersion, knownApiVersion, type AzureAddress } from './paths.js';
import { serveResponses } from '../../responses-api.js';
import { azureError, deploymentNotFound } from './errors.js';
import { azureResponse } from './response-tap.js';

/** The model version the simulated deployment runs for chat and completions. */
export const azureChatModel = 'gpt-4o-2024-08-06';
/** The model version the simulated deployment runs for embeddings. */
export const azureEmbeddingsModel = 'text-embedding-3-small';

function takeFault(sim: SimContext, operation: FaultOperation, stream: boolean): Fault | undefined {
  const fault = sim.faults.take({ operation, stream });
  if (fault) sim.counters.faultsApplied += 1;
  return fault;
}

/** `api-key: <key>`, or an Entra ID token as a bearer (the simulator takes its key for both). */
function isAuthorized(sim: SimContext, req: IncomingMessage): boolean {
  const key = sim.options.apiKey;
  return key === undefined || req.headers['api-key'] === key || req.headers.authorization === `Bearer ${key}`;
}

/** Checks that come before any answer, in Azure's order; true when one of them answered. */
function refused(sim: SimContext, req: IncomingMessage, res: ServerResponse, address: AzureAddress): boolean {
  if (address.api === 'deployments') {
    const version = apiVersionOf(req.url);
    if (version === undefined) return reply(sim, res, 404, azureError(404, '404', 'Resource not found'));
    if (!knownApiVersion.test(version)) return reply(sim, res, 400, azureError(400, 'BadRequest', 'API version not supported'));
  }
  if (!isAuthorized(sim, req)) return reply(sim, res, 401, azureError(401, '401'));
  return false;
}

function reply(sim: SimContext, res: ServerResponse, status: number, body: unknown): true {
  new Exchange(sim, res).json(status, body);
  return true;
}

function completion(sim: SimContext, res: ServerResponse, address: AzureAddress, body: Record<string, unknown>): void {
  const operation = address.operation === 'completions' ? 'completions' : 'chat';
  const request = parseCompletionRequest(operation, body, sim.options.prefill);
  if (isRejection(request)) return new Exchange(sim, res).error(request.status, { message: request.message, param: request.param });
  const limit = sim.options.maxModelLen;
  if (limit !== undefined && request.promptTokens + (request.maxTokens ?? 0) > limit) {
    return new Exchange(sim, res).json(400, sim.flavor.contextLengthExceeded(limit, request.promptTokens, request.maxTokens));
  }
  const fault = takeFault(sim, operation, request.stream);
  if (fault === undefined && sim.options.failRate > 0 && sim.random() < sim.options.failRate) return new Exchange(sim, res).error(500);
  new Generation(sim, res, { ...request, model: azureChatModel }, fault).start();
}

function embeddings(sim: SimContext, res: ServerResponse, body: Record<string, unknown>): void {
  const exchange = new Exchange(sim, res);
  const request = parseEmbeddingsRequest(body, sim.options.embeddingDims);
  if (isRejection(request)) return exchange.error(request.status, { message: request.message, param: request.param });
  const fault = takeFault(sim, 'embeddings', false);
  if (exchange.leadingFault(fault)) return;
  const delay = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
  exchange.jsonAfter(delay, 200, embeddingsBody(request, fault?.type === 'drift' ? fault.model : azureEmbeddingsModel), fault);
}

/** The resource's models, as the data-plane list shows them (what a health probe reads). */
function models(sim: SimContext, res: ServerResponse): void {
  const exchange = new Exchange(sim, res);
  if (exchange.leadingFault(takeFault(sim, 'models', false))) return;
  const card = (id: string, chat: boolean) => ({
    id,
    object: 'model',
    created_at: 1722902400,
    status: 'succeeded',
    lifecycle_status: 'generally-available',
    capabilities: { chat_completion: chat, completion: chat, embeddings: !chat, fine_tune: false, inference: true },
  });
  exchange.json(200, { object: 'list', data: [card(azureChatModel, true), card(azureEmbeddingsModel, false)] });
}

/** The Responses API: the deployment is the body's model; the answer names the model version behind it. */
function responses(sim: SimContext, req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
  const version = apiVersionOf(req.url);
  if (version !== undefined && version < firstResponsesApiVersion) {
    reply(
      sim,
      res,
      400,
      azureError(400, 'BadRequest', `Azure OpenAI Responses API is enabled only for api-version ${firstResponsesApiVersion} and later`),
    );
    return;
  }
  serveResponses(sim, res, body, azureChatModel, takeFault(sim, 'chat', body['stream'] === true));
}

function route(
  sim: SimContext,
  req: IncomingMessage,
  original: ServerResponse,
  method: string,
  path: string,
  body: unknown,
  invalidJson: boolean,
): boolean {
  if (method === 'GET' && path === '/health') return false;
  const address = azureAddressOf(method, path);
  // Responses events are not chat chunks: they go out undressed (no filter-only first chunk).
  const res = address?.operation === 'responses' ? original : azureResponse(original);
  if (address === undefined) return reply(sim, res, 404, azureError(404, '404', 'Resource not found'));
  if (refused(sim, req, res, address)) return true;
  if (address.operation === 'models') {
    models(sim, res);
    return true;
  }
  if (invalidJson || !isRecord(body)) {
    new Exchange(sim, res).error(400, { message: 'We could not parse the JSON body of your request.' });
    return true;
  }
  // Deployment URLs name the deployment in the path and ignore the body's model; the v1 API reads it.
  const deployment = address.api === 'deployments' && address.operation !== 'responses' ? address.deployment : body['model'];
  if (deployment !== sim.options.model) return reply(sim, res, 404, deploymentNotFound());
  if (address.operation === 'responses') {
    responses(sim, req, res, body);
    return true;
  }
  const named = { ...body, model: sim.options.model };
  if (address.operation === 'embeddings') embeddings(sim, res, named);
  else completion(sim, res, address, named);
  return true;
}

export const azureWire: NativeWire = { route, operationOf: azureOperationOf, basePath: '' };
