/**
 * Errors in the Responses API's shapes: OpenAI's envelope for an HTTP error
 * (`{"error": {message, type, param, code}}`), the `error` stream event that ends a broken stream,
 * and the sentence for a request that only OpenAI's own servers can answer, which the route answers
 * with a 400 when it has no OpenAI or Azure deployment.
 */
import type { DoorError } from '../../front-door.js';
import type { ResponsesErrorBody } from './wire.js';

/** Why a request that needs stored state or OpenAI's built-in tools cannot go to this route. */
export const responsesNativeRequiredMessage =
  'This request uses state or tools that only OpenAI keeps and runs (previous_response_id, conversation, store: true, ' +
  'background: true, prompt templates, item references, file ids, or a tool other than a function). Send the whole ' +
  'conversation as `input` with `store: false` and only function tools, or route the model to an OpenAI or Azure ' +
  'OpenAI deployment.';

export function responsesErrorBody(error: DoorError): string {
  const body: ResponsesErrorBody = { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
  return JSON.stringify(body);
}

/**
 * The `error` stream event's payload: the spec's flat members (`code`, `message`, `param`), and the
 * same under `error` as OpenAI's servers send it, which is what makes the SDKs throw (openai-node
 * raises an APIError for an event whose data has an `error`; with the flat members alone it would
 * hand the event over as data and the stream would just end).
 */
export function errorEvent(error: DoorError, sequence: number): Record<string, unknown> {
  const code = error.code ?? error.type;
  return {
    type: 'error',
    code,
    message: error.message,
    param: error.param,
    error: { type: error.type, code, message: error.message, param: error.param },
    sequence_number: sequence,
  };
}
