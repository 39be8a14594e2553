/**
 * The only place errors become HTTP: the OpenAI envelope `{error: {message, type, param, code}}`,
 * always all four keys, with the status and headers from the catalogue (a front door words the body
 * in its own wire's shape).
 */
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';

export function toGatewayError(err: unknown, requestId: string): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(
    'internal_error',
    `The gateway hit an unexpected error while handling request ${requestId}. This is a bug in Switchyard; the request id finds it in the logs.`,
    { cause: err },
  );
}

/**
 * Answers with the error; `format` words the body in another wire's shape (a front door's), the
 * OpenAI envelope by default.
 */
export function sendError(
  res: ServerResponse,
  error: GatewayError,
  extraHeaders?: Readonly<Record<string, string>>,
  format?: (error: GatewayError) => string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = format ? format(error) : JSON.stringify(error.toBody());
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
    ...error.headers,
  };
  // A body we refused to read stays on the socket; closing is cheaper than draining it.
  if (error.code === 'request_too_large') headers.connection = 'close';
  res.writeHead(error.status, headers);
  res.end(body);
}
