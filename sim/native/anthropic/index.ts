/**
 * The `anthropic` simulator kind: Anthropic's Messages API at its own paths (a client's base URL is
 * the origin, as https://api.anthropic.com is: the paths carry `/v1`). POST /v1/messages answers
 * from the shared generation; GET /v1/models and /v1/models/{id} list the served model (the free call
 * a gateway probes). Every /v1 request needs `anthropic-version` (as Anthropic's API does) and, when
 * the simulator has a key, `x-api-key` (not a bearer token). Errors, faults included, come in
 * Anthropic's error body; other paths (/health) fall through to the common ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from '../../context.js';
import type { SimOperation } from '../../types.js';
import { isRejection } from '../../request.js';
import type { NativeWire } from '../wire.js';
import { AnthropicExchange } from './exchange.js';
import { AnthropicGeneration } from './generation.js';
import { parseMessagesRequest } from './request.js';
import { modelInfo, modelList } from './responses.js';

const messagesPath = '/v1/messages';
const countTokensPath = '/v1/messages/count_tokens';
const modelsPath = '/v1/models';

function operationOf(method: string, path: string): SimOperation {
  if (method === 'POST' && path === messagesPath) return 'chat';
  if (method === 'GET' && (path === modelsPath || path.startsWith(`${modelsPath}/`))) return 'models';
  return 'other';
}

function messages(sim: SimContext, res: ServerResponse, body: unknown): void {
  const request = parseMessagesRequest(body);
  if (isRejection(request)) return new AnthropicExchange(sim, res).error(request.status, { message: request.message });
  if (request.model !== sim.options.model) return new AnthropicExchange(sim, res).error(404, { message: `model: ${request.model}` });
  const limit = sim.options.maxModelLen;
  if (limit !== undefined && request.promptTokens + (request.maxTokens ?? 0) > limit) {
    const message = `prompt is too long: ${request.promptTokens + (request.maxTokens ?? 0)} tokens > ${limit} maximum`;
    return new AnthropicExchange(sim, res).error(400, { message });
  }
  const fault = sim.faults.take({ operation: 'chat', stream: request.stream });
  if (fault) sim.counters.faultsApplied += 1;
  if (fault === undefined && sim.options.failRate > 0 && sim.random() < sim.options.failRate)
    return new AnthropicExchange(sim, res).error(500);
  new AnthropicGeneration(sim, res, request, fault).start();
}

/** The prompt's tokens as a generation would count them (cache reads and writes included), without generating. */
function countTokens(sim: SimContext, res: ServerResponse, body: unknown): void {
  const request = parseMessagesRequest(body, true);
  const exchange = new AnthropicExchange(sim, res);
  if (isRejection(request)) return exchange.error(request.status, { message: request.message });
  if (request.model !== sim.options.model) return exchange.error(404, { message: `model: ${request.model}` });
  exchange.json(200, { input_tokens: request.promptTokens });
}

function models(sim: SimContext, res: ServerResponse, path: string): void {
  const exchange = new AnthropicExchange(sim, res);
  const fault = sim.faults.take({ operation: 'models', stream: false });
  if (fault) sim.counters.faultsApplied += 1;
  if (exchange.leadingFault(fault)) return;
  if (path === modelsPath) return exchange.json(200, modelList(sim.options.model, sim.startedAt));
  let id = path.slice(modelsPath.length + 1);
  try {
    id = decodeURIComponent(id);
  } catch {
    // Malformed %-escapes: matched as written, which finds no model.
  }
  if (id !== sim.options.model) return exchange.error(404, { message: `model: ${id}` });
  exchange.json(200, modelInfo(sim.options.model, sim.startedAt));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export const anthropicWire: NativeWire = {
  basePath: '',
  operationOf,
  route(sim, req, res, method, path, body, invalidJson) {
    if (!path.startsWith('/v1/')) return false;
    const apiKey = sim.options.apiKey;
    if (apiKey !== undefined && header(req, 'x-api-key') !== apiKey) {
      new AnthropicExchange(sim, res).error(401, {
        message: header(req, 'x-api-key') === undefined ? 'x-api-key header is required' : 'invalid x-api-key',
      });
      return true;
    }
    if (!header(req, 'anthropic-version')) {
      new AnthropicExchange(sim, res).error(400, { message: 'anthropic-version: header is required' });
      return true;
    }
    const operation = operationOf(method, path);
    const counting = method === 'POST' && path === countTokensPath;
    if (invalidJson && (operation === 'chat' || counting)) {
      new AnthropicExchange(sim, res).error(400, { message: 'There was an error parsing the body of your request: it is not valid JSON.' });
      return true;
    }
    if (operation === 'chat') messages(sim, res, body);
    else if (counting) countTokens(sim, res, body);
    else if (operation === 'models') models(sim, res, path);
    else new AnthropicExchange(sim, res, false).error(404, { message: 'Not Found' });
    return true;
  },
};
