/**
 * The `anthropic` provider type: Anthropic's Messages API (POST /v1/messages), translated both ways
 * (request.ts, response.ts, stream.ts), its errors classified (errors.ts), its key sent as `x-api-key`
 * (auth.ts). Chat only: Anthropic has no embeddings API and no legacy completions. It continues a
 * final assistant message natively (prefill, style `last_assistant`). The health probe is
 * GET /v1/models, which is free. Which model ids float is models.ts. A request that came in through
 * the Anthropic front door (adapters/anthropic/door/) is sent as the client wrote it and answered with
 * Anthropic's own bytes (native.ts, native-stream.ts); so is a token count, which only that door asks.
 */
import { speaksNative, type NativeWire, type Operation, type ProviderAdapter, type ProviderKind } from '../types.js';
import { anthropicSettings, prefillStyles, type AnthropicSettings } from './settings.js';
import { badRequest, buildContinuation, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { AnthropicStreamTranslator } from './stream.js';
import { buildNativeRequest, translateNativeResponse } from './native.js';
import { AnthropicNativeStreamTranslator } from './native-stream.js';
import { classifyError } from './errors.js';
import { authorize } from './auth.js';
import { anthropicFloatingModel } from './models.js';

const operations: ReadonlySet<Operation> = new Set<Operation>(['chat', 'count_tokens']);
const nativeWires: ReadonlySet<NativeWire> = new Set<NativeWire>(['anthropic-messages']);
const native = { nativeWires };

export const anthropicAdapter: ProviderAdapter<AnthropicSettings> = {
  type: 'anthropic',
  operations,
  nativeWires,
  buildRequest: (req, target) => {
    if (req.native !== undefined && speaksNative(native, req)) return buildNativeRequest(req, req.native, target);
    if (req.operation === 'count_tokens')
      throw badRequest("Anthropic counts tokens only for a Messages API request (the front door's)", null);
    return buildRequest(req, target);
  },
  // A native stream cannot be continued by a translated one (the client reads Anthropic's events).
  buildContinuation: (req, prefix, target) => (speaksNative(native, req) ? undefined : buildContinuation(req, prefix, target)),
  translateResponse: (req, body, target) =>
    speaksNative(native, req) ? translateNativeResponse(req, body) : translateResponse(req, body, target),
  createStreamTranslator: (req, target) =>
    speaksNative(native, req) ? new AnthropicNativeStreamTranslator() : new AnthropicStreamTranslator(req, target),
  authorize,
  classifyError: (status, body, headers) => classifyError(status, body, headers),
  healthPath: '/v1/models',
};

export const anthropicKind: ProviderKind<typeof anthropicSettings> = {
  adapter: anthropicAdapter,
  settings: anthropicSettings,
  secrets: ['api_key'],
  prefill: { key: 'prefill', styles: prefillStyles, defaultStyle: 'last_assistant' },
  floatingModel: anthropicFloatingModel,
};
