/**
 * The HTTP side of the three inference endpoints (chat, completions, embeddings): authenticate, read
 * and validate the body once, hand the request to the gateway's pipeline (gateway/request.ts), and
 * write its answer — JSON, or Server-Sent Events through SseSink — or its error in OpenAI's shape.
 * Built once per operation at startup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Operation } from '../adapters/types.js';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { ClientGone } from '../gateway/execute/abort-reasons.js';
import { clientClosedStatus, newRequestRecord, type Inference, type RequestPipeline, type RequestRecord } from '../gateway/request.js';
import { authenticate } from './authenticate.js';
import { parseJsonObject, readRawBody } from './json-body.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import { SseSink } from './sse-sink.js';
import { validators } from './validation/operations.js';
import type { GatewayDeps } from './deps.js';
import { Exchange } from './exchange.js';
import { costUsd } from '../telemetry/cost.js';

/**
 * What happened, on every answer and error of these endpoints: the route (`none` before one was
 * resolved), the attempts made, what failed on the way (`deployment:kind,…`, at most 512 characters)
 * and, when one answered, the deployment.
 */
function outcomeHeaders(record: RequestRecord, deployment: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchyard-route': record.route?.name ?? 'none',
    'x-switchyard-attempts': String(record.run?.attempts ?? 0),
  };
  if (deployment !== undefined) headers['x-switchyard-deployment'] = deployment;
  const failed = record.run?.failures.summary() ?? '';
  if (failed !== '') headers['x-switchyard-failed'] = failed;
  if (record.variant !== undefined) headers['x-switchyard-variant'] = record.variant;
  // OpenAI's x-ratelimit-* headers, from the key's and route's limits (none when they have none).
  if (record.limits) Object.assign(headers, record.limits.headers());
  return headers;
}

export function createInferenceHandler(operation: Operation, deps: GatewayDeps, pipeline: RequestPipeline) {
  const validate = validators[operation];
  const { logger, state } = deps;

  return async function serveInference(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const record = newRequestRecord(operation, receivedAt, assignRequestId(req, res));
    const rt = deps.runtime.current;
    // Knows when the client leaves, and lets graceful shutdown end the request (routes/exchange.ts).
    const exchange = new Exchange(res);
    state.exchanges.add(exchange);
    let sink: SseSink | undefined;
    try {
      if (state.shuttingDown)
        throw new GatewayError('shutting_down', 'The gateway is shutting down; retry the request (another replica will take it).');
      const key = authenticate(rt.keys, req);
      record.keyName = key?.name;
      const raw = await readRawBody(req, rt.bodyLimitBytes);
      const body = parseJsonObject(raw);
      const { model, stream, includeUsage } = validate(body);
      record.stream = stream;
      const inference: Inference = {
        model,
        key,
        client: exchange.client,
        headers: req.headers,
        request: { operation, body, raw, stream, includeUsage },
      };
      if (stream) {
        sink = new SseSink(res, record);
        await pipeline.stream(rt, inference, sink, record);
      } else {
        const answer = await pipeline.unary(rt, inference, record);
        const headers = outcomeHeaders(record, answer.deployment.id);
        // What the answer cost at the deployment's configured price (an eval suite's max_cost_usd reads it).
        if (answer.usage !== undefined)
          headers['x-switchyard-cost-usd'] = String(
            costUsd(answer.deployment.price, answer.usage.promptTokens, answer.usage.completionTokens),
          );
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer.body), ...headers });
        res.end(answer.body);
      }
    } catch (err) {
      if (err instanceof ClientGone) {
        record.status = clientClosedStatus;
      } else {
        const error = toGatewayError(err, record.requestId);
        record.status = error.status;
        record.error = error;
        if (error.code === 'internal_error') logger.error({ err, requestId: record.requestId }, 'unexpected error');
        sendError(res, error, outcomeHeaders(record, undefined));
      }
    } finally {
      state.exchanges.delete(exchange);
    }
    const shutdownError = exchange.shutdownError();
    if (shutdownError) {
      // The shutdown grace ended this request: the gateway's doing (503), not the client's (499).
      record.status = shutdownError.status;
      record.error = shutdownError;
      if (res.headersSent && sink) {
        if (record.route && record.deployment) deps.telemetry.streamFailed(record.route.name, record.deployment, shutdownError.code);
        sink.fail(shutdownError);
      } else sendError(res, shutdownError, outcomeHeaders(record, undefined));
    }
    pipeline.finish(record);
  };
}
