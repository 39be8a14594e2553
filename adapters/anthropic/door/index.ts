/**
 * The Anthropic Messages API as a front door: clients written for Anthropic (its SDKs, coding agents
 * pointed at the gateway with ANTHROPIC_BASE_URL) call POST /v1/messages and
 * POST /v1/messages/count_tokens. An Anthropic deployment gets the client's own body and the client
 * its bytes back (lossless); any other deployment gets the OpenAI translation (request.ts,
 * messages.ts) and its answer comes back as Anthropic's (response.ts, stream.ts), errors in
 * Anthropic's shape (errors.ts). Anthropic's clients read the `request-id` response header.
 */
import type { FrontDoor } from '../../front-door.js';
import { errorBody } from './errors.js';
import { acceptMessages } from './request.js';
import { messageFromCompletion } from './response.js';
import { AnthropicStreamEncoder } from './stream.js';

export const anthropicMessagesDoor: FrontDoor = {
  wire: 'anthropic-messages',
  path: '/v1/messages',
  operation: 'chat',
  requestIdHeader: 'request-id',
  nativeRequired:
    'It uses features only Anthropic has (extended thinking, server tools such as web search, document blocks, Files API images, MCP servers or containers): send it to a route with an Anthropic deployment, or leave those features out.',
  accept: (body, raw, headers) => acceptMessages(body, raw, headers, 'chat'),
  answer: (body, native, req) => (native ? body : messageFromCompletion(body, req)),
  createStreamEncoder: (req) => new AnthropicStreamEncoder(req),
  errorBody,
};

export const anthropicCountTokensDoor: FrontDoor = {
  wire: 'anthropic-messages',
  path: '/v1/messages/count_tokens',
  operation: 'count_tokens',
  requestIdHeader: 'request-id',
  nativeOnly:
    'Token counts are answered only by Anthropic deployments (their count_tokens endpoint); this route has none, and the gateway does not estimate counts.',
  accept: (body, raw, headers) => acceptMessages(body, raw, headers, 'count_tokens'),
  // Only Anthropic deployments are planned for it (request.native.required), so the body is always theirs.
  answer: (body) => body,
  createStreamEncoder: (req) => new AnthropicStreamEncoder(req),
  errorBody,
};
