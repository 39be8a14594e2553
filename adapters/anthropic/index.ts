/**
 * The `anthropic` provider type: Anthropic's Messages API (POST /v1/messages), translated both ways
 * (request.ts, response.ts, stream.ts), its errors classified (errors.ts), its key sent as `x-api-key`
 * (auth.ts). Chat only: Anthropic has no embeddings API and no legacy completions. It continues a
 * final assistant message natively (prefill, style `last_assistant`). The health probe is
 * GET /v1/models, which is free. Which model ids float is models.ts.
 */
import type { Operation, ProviderAdapter, ProviderKind } from '../types.js';
import { anthropicSettings, prefillStyles, type AnthropicSettings } from './settings.js';
import { buildContinuation, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { AnthropicStreamTranslator } from './stream.js';
import { classifyError } from './errors.js';
import { authorize } from './auth.js';
import { anthropicFloatingModel } from './models.js';

const operations: ReadonlySet<Operation> = new Set<Operation>(['chat']);

export const anthropicAdapter: ProviderAdapter<AnthropicSettings> = {
  type: 'anthropic',
  operations,
  buildRequest,
  buildContinuation,
  translateResponse,
  createStreamTranslator: (req, target) => new AnthropicStreamTranslator(req, target),
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
