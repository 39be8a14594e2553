/**
 * The OpenAI Responses API as a front door (`POST /v1/responses`). A request is validated and
 * translated into a Chat Completions request for the core (request.ts), keeping the client's own
 * body: a deployment that speaks the Responses API (OpenAI, Azure OpenAI: `nativeWires`) gets that
 * body and its answer goes back unchanged; any other deployment gets the translation, and its answer
 * is turned into a Response object (response.ts) or a stream of Responses events (stream-encoder.ts).
 */
import type { FrontDoor } from '../../front-door.js';
import { acceptResponsesRequest } from './request.js';
import { translateAnswer } from './response.js';
import { ResponsesStreamEncoder } from './stream-encoder.js';
import { responsesErrorBody, responsesNativeRequiredMessage } from './errors.js';

export const openAIResponsesDoor: FrontDoor = {
  wire: 'openai-responses',
  path: '/v1/responses',
  operation: 'chat',
  nativeRequired: responsesNativeRequiredMessage,
  accept: acceptResponsesRequest,
  answer: (body, native, req) => (native ? body : translateAnswer(body, req)),
  createStreamEncoder: (req) => new ResponsesStreamEncoder(req),
  errorBody: responsesErrorBody,
};
