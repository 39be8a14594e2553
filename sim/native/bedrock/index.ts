/**
 * The `bedrock` simulator kind: Bedrock Runtime at its own paths (a client's base URL is the origin,
 * as https://bedrock-runtime.<region>.amazonaws.com is): POST /model/{modelId}/converse and
 * /converse-stream answer from the shared generation, /invoke embeds for Titan and Cohere model ids.
 * The model id is one percent-encoded path segment (`%3A` for `:`). Every request must be
 * authenticated as AWS requires: a SigV4 Authorization header (`AWS4-HMAC-SHA256 Credential=…/bedrock/
 * aws4_request, …` plus X-Amz-Date; its signature is not verified) or, when the simulator has a key,
 * that key as a bearer token (a Bedrock API key). Errors, faults included, are Bedrock's: JSON
 * `{message}` and `x-amzn-ErrorType`. Bedrock has no free GET: /health is the common one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from '../../context.js';
import type { SimOperation } from '../../types.js';
import { isRejection } from '../../request.js';
import type { NativeWire } from '../wire.js';
import { BedrockExchange } from './exchange.js';
import { BedrockGeneration } from './generation.js';
import { parseConverseRequest } from './request.js';
import { invokeEmbeddings } from './embeddings.js';

const modelPath = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/;

function operationOf(method: string, path: string): SimOperation {
  const match = method === 'POST' ? modelPath.exec(path) : null;
  if (!match) return 'other';
  return match[2] === 'invoke' ? 'embeddings' : 'chat';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const sigV4 =
  /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/;

/** Why the request is not authenticated as Bedrock wants, as Bedrock says it; undefined when it is. */
function authProblem(sim: SimContext, req: IncomingMessage): { status: number; name: string; message: string } | undefined {
  const authorization = header(req, 'authorization');
  if (authorization === undefined)
    return { status: 403, name: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  if (authorization.startsWith('Bearer ')) {
    if (sim.options.apiKey !== undefined && authorization === `Bearer ${sim.options.apiKey}`) return undefined;
    return { status: 403, name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  if (!sigV4.test(authorization))
    return {
      status: 403,
      name: 'IncompleteSignatureException',
      message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' for AWS4-HMAC-SHA256, scoped to service bedrock.`,
    };
  if (header(req, 'x-amz-date') === undefined)
    return {
      status: 403,
      name: 'IncompleteSignatureException',
      message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    };
  return undefined;
}

function takeFault(sim: SimContext, operation: 'chat' | 'embeddings', stream: boolean) {
  const fault = sim.faults.take({ operation, stream });
  if (fault) sim.counters.faultsApplied += 1;
  return fault;
}

function converse(sim: SimContext, res: ServerResponse, model: string, stream: boolean, body: unknown): void {
  const request = parseConverseRequest(body, model, stream);
  if (isRejection(request)) return new BedrockExchange(sim, res).error(400, { message: request.message });
  const limit = sim.options.maxModelLen;
  if (limit !== undefined && request.promptTokens + (request.maxTokens ?? 0) > limit) {
    const message = `Input is too long for requested model. The prompt has ${request.promptTokens} tokens and the model's context window is ${limit} tokens.`;
    return new BedrockExchange(sim, res).error(400, { message });
  }
  const fault = takeFault(sim, 'chat', stream);
  if (fault === undefined && sim.options.failRate > 0 && sim.random() < sim.options.failRate)
    return new BedrockExchange(sim, res).error(500);
  new BedrockGeneration(sim, res, request, fault).start();
}

function invoke(sim: SimContext, res: ServerResponse, model: string, body: unknown): void {
  const exchange = new BedrockExchange(sim, res);
  const answer = invokeEmbeddings(model, body, sim.options.embeddingDims, sim.nextId(''));
  if (isRejection(answer)) return exchange.error(answer.status, { message: answer.message });
  const fault = takeFault(sim, 'embeddings', false);
  if (exchange.leadingFault(fault)) return;
  const delay = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
  exchange.jsonAfter(delay, 200, answer, fault);
}

export const bedrockWire: NativeWire = {
  basePath: '',
  operationOf,
  route(sim, req, res, method, path, body, invalidJson) {
    const match = modelPath.exec(path);
    if (!match) return false;
    if (method !== 'POST') {
      new BedrockExchange(sim, res, false).error(404, { message: 'Not Found', code: 'UnknownOperationException' });
      return true;
    }
    const denied = authProblem(sim, req);
    if (denied) {
      new BedrockExchange(sim, res).error(denied.status, { message: denied.message, code: denied.name });
      return true;
    }
    let model: string;
    try {
      model = decodeURIComponent(match[1]!);
    } catch {
      model = match[1]!;
    }
    if (model !== sim.options.model) {
      new BedrockExchange(sim, res).error(400, { message: 'The provided model identifier is invalid.' });
      return true;
    }
    if (invalidJson) {
      new BedrockExchange(sim, res).error(400, { message: 'Malformed input request, please reformat your input and try again.' });
      return true;
    }
    if (match[2] === 'invoke') invoke(sim, res, model, body);
    else converse(sim, res, model, match[2] === 'converse-stream', body);
    return true;
  },
};
