/**
 * What every inference endpoint does around its own work, the OpenAI ones and the front doors alike:
 * refuse new work while shutting down, keep the exchange where graceful shutdown can interrupt it,
 * turn whatever was thrown into an error answer (in the endpoint's wire), end an answer the shutdown
 * grace cut short as the gateway's doing (503, or an error event on a stream already started), and
 * record the request once it is over.
 */
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { ClientGone } from '../gateway/execute/abort-reasons.js';
import { clientClosedStatus, type RequestPipeline, type RequestRecord } from '../gateway/request.js';
import { sendError, toGatewayError } from './http-errors.js';
import { outcomeHeaders } from './outcome-headers.js';
import { Exchange } from './exchange.js';
import type { GatewayDeps } from './deps.js';

/** The stream an endpoint opened, if it did: shutdown ends it with an error event. */
export interface OpenedStream {
  sink: { fail(error: GatewayError): void } | undefined;
}

export async function serveExchange(
  deps: GatewayDeps,
  pipeline: RequestPipeline,
  record: RequestRecord,
  res: ServerResponse,
  work: (exchange: Exchange, opened: OpenedStream) => Promise<void>,
  format?: (error: GatewayError) => string,
): Promise<void> {
  const { logger, state } = deps;
  // Knows when the client leaves, and lets graceful shutdown end the request (routes/exchange.ts).
  const exchange = new Exchange(res);
  const opened: OpenedStream = { sink: undefined };
  state.exchanges.add(exchange);
  try {
    if (state.shuttingDown)
      throw new GatewayError('shutting_down', 'The gateway is shutting down; retry the request (another replica will take it).');
    await work(exchange, opened);
  } catch (err) {
    if (err instanceof ClientGone) {
      record.status = clientClosedStatus;
    } else {
      const error = toGatewayError(err, record.requestId);
      record.status = error.status;
      record.error = error;
      if (error.code === 'internal_error') logger.error({ err, requestId: record.requestId }, 'unexpected error');
      sendError(res, error, outcomeHeaders(record, undefined), format);
    }
  } finally {
    state.exchanges.delete(exchange);
  }
  const shutdownError = exchange.shutdownError();
  if (shutdownError) {
    // The shutdown grace ended this request: the gateway's doing (503), not the client's (499).
    record.status = shutdownError.status;
    record.error = shutdownError;
    if (res.headersSent && opened.sink) {
      if (record.route && record.deployment) deps.telemetry.streamFailed(record.route.name, record.deployment, shutdownError.code);
      opened.sink.fail(shutdownError);
    } else sendError(res, shutdownError, outcomeHeaders(record, undefined), format);
  }
  pipeline.finish(record);
}
