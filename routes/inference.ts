/**
 * The handler factory for the three OpenAI operations (chat, completions, embeddings): authenticate,
 * read and validate the body once, resolve the route, hand over to the executor, answer, and report
 * the request to telemetry and the log. Built once per operation at startup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientRequest, Operation, Usage } from '../adapters/types.js';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { ClientGone, ClientLink } from '../gateway/execute/abort-reasons.js';
import { executeStream, executeUnary, type ExecuteContext } from '../gateway/execute/execute-stream.js';
import { estimateRequest, planCandidates } from '../gateway/routing/plan.js';
import type { DeploymentRuntime, RouteRuntime, Runtime } from '../gateway/runtime/types.js';
import type { ClientKey } from '../gateway/access/keys.js';
import { authenticate, mayUseRoute } from './authenticate.js';
import { parseJsonObject, readRawBody } from './json-body.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import { SseSink } from './sse-sink.js';
import { validators } from './validation/operations.js';
import { requestLogger, type Logger } from '../telemetry/logger.js';
import type { GatewayDeps } from './deps.js';

const paths: Record<Operation, string> = { chat: '/v1/chat/completions', completions: '/v1/completions', embeddings: '/v1/embeddings' };

/** The status we record for a client that left before its answer was complete (nginx's convention). */
const clientClosedStatus = 499;

interface Outcome {
  route: RouteRuntime | undefined;
  deployment: DeploymentRuntime | undefined;
  attempts: number;
  status: number;
  usage: Usage | undefined;
  stream: boolean;
  error: GatewayError | undefined;
}

export function resolveRoute(rt: Runtime, model: string, key: ClientKey | undefined): RouteRuntime {
  const route = rt.routes.get(model);
  if (!route || !mayUseRoute(key, model)) {
    throw new GatewayError('model_not_found', `The model '${model.slice(0, 200)}' does not exist or you do not have access to it. GET /v1/models lists the models you can use.`, { param: 'model' });
  }
  return route;
}

export function createOperationHandler(operation: Operation, deps: GatewayDeps) {
  const validate = validators[operation];
  const path = paths[operation];
  const { telemetry, logger, state } = deps;
  const requestLog = requestLogger(logger);

  return async function handleOperation(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const requestId = assignRequestId(req, res);
    const rt = deps.runtime.current;
    const outcome: Outcome = { route: undefined, deployment: undefined, attempts: 0, status: 200, usage: undefined, stream: false, error: undefined };
    let keyName: string | undefined;
    state.inFlight += 1;
    try {
      if (state.shuttingDown) throw new GatewayError('shutting_down', 'The gateway is shutting down; retry the request (another replica will take it).');
      const key = authenticate(rt.keys, req);
      keyName = key?.name;
      const raw = await readRawBody(req, rt.bodyLimitBytes);
      const body = parseJsonObject(raw);
      const { model, stream, includeUsage } = validate(body);
      outcome.stream = stream;
      const route = resolveRoute(rt, model, key);
      if (!route.operations.has(operation)) {
        throw new GatewayError('unsupported_operation', `The model '${model}' does not support ${path}.`, { param: 'model' });
      }
      outcome.route = route;
      telemetry.requestStarted(route.name);
      const clientReq: ClientRequest = { operation, body, raw, stream, includeUsage };
      const candidates = planCandidates(route, operation, estimateRequest(clientReq), receivedAt, deps.random);

      const client = new ClientLink();
      res.once('close', () => {
        if (!res.writableFinished) client.leave();
      });
      const ctx: ExecuteContext = { route, client, receivedAt, telemetry, redact: rt.redactor.redact, random: deps.random };

      if (stream) {
        const result = await executeStream(ctx, clientReq, candidates, new SseSink(res, route.name));
        outcome.deployment = result.deployment;
        outcome.attempts = result.attempts;
        outcome.usage = result.usage;
        if (result.kind === 'failed') {
          outcome.status = result.error.status;
          outcome.error = result.error;
        } else if (result.kind === 'client_gone') {
          outcome.status = clientClosedStatus;
        }
      } else {
        const answer = await executeUnary(ctx, clientReq, candidates);
        Object.assign(outcome, { deployment: answer.deployment, attempts: answer.attempts, usage: answer.usage });
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(answer.body),
          'x-switchyard-route': route.name,
          'x-switchyard-deployment': answer.deployment.id,
          'x-switchyard-attempts': String(answer.attempts),
        });
        res.end(answer.body);
      }
    } catch (err) {
      if (err instanceof ClientGone) {
        outcome.status = clientClosedStatus;
      } else {
        const error = toGatewayError(err, requestId);
        outcome.status = error.status;
        outcome.error = error;
        if (error.code === 'internal_error') logger.error({ err, requestId }, 'unexpected error');
        sendError(res, error);
      }
    } finally {
      state.inFlight -= 1;
    }
    report(deps, requestLog, operation, requestId, keyName, receivedAt, outcome);
  };
}

function report(deps: GatewayDeps, log: Logger, operation: Operation, requestId: string, keyName: string | undefined, receivedAt: number, o: Outcome): void {
  const durationMs = performance.now() - receivedAt;
  const routeName = o.route?.name ?? 'none';
  if (o.route) deps.telemetry.requestEnded(routeName);
  if (o.status === clientClosedStatus && o.route) deps.telemetry.clientAborted(routeName);
  deps.telemetry.requestFinished({ route: routeName, operation, deployment: o.deployment, status: o.status, durationMs, stream: o.stream, usage: o.usage });
  const level = o.error?.level ?? 'info';
  if (!log.isLevelEnabled(level)) return;
  log[level]({
    requestId, operation, route: o.route?.name, deployment: o.deployment?.id, key: keyName, status: o.status,
    ms: Math.round(durationMs * 10) / 10, attempts: o.attempts, stream: o.stream,
    ...(o.usage ? { inputTokens: o.usage.promptTokens, outputTokens: o.usage.completionTokens } : {}),
    ...(o.error ? { error: o.error.code, message: o.error.message } : {}),
  }, 'request');
}
