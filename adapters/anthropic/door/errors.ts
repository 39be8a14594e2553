/**
 * The gateway's errors as Anthropic words them. OpenAI's envelope is `{"error":{"message","type",
 * "param","code"}}`; Anthropic's is `{"type":"error","error":{"type","message"}}`, and its `error.type`
 * follows the HTTP status (there is no `param` or `code`: a field in trouble is named in the message).
 * The same object is the data of the `error` event that ends a stream which failed after its start.
 */
import type { DoorError } from '../../front-door.js';

/** Anthropic's error type for each status it documents; 529 is its own "overloaded". */
const typesByStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

/** The error type Anthropic's clients expect for a status; anything else is `api_error` (500, 502, 504, ...). */
export function anthropicErrorType(status: number): string {
  return typesByStatus[status] ?? (status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error');
}

/** `{type:"error", error:{type, message}}`. */
export function anthropicErrorObject(error: DoorError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message } };
}

export function errorBody(error: DoorError): string {
  return JSON.stringify(anthropicErrorObject(error));
}

/** The SSE `error` event that ends a stream the gateway could not finish. */
export function errorEvent(error: DoorError): string {
  return `event: error\ndata: ${errorBody(error)}\n\n`;
}
