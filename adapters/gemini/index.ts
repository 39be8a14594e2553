/**
 * Google's Gemini API (AI Studio, generativelanguage.googleapis.com) as a provider type: chat
 * (generateContent, streamed as SSE), tools both ways, images, usage with cached and thinking
 * tokens, embeddings (embedContent / batchEmbedContents). No legacy completions (Gemini has none) and
 * no prefill: the Gemini API has no documented way to make a model continue a partial `model` turn.
 * The health probe lists the models (free, with the key). Model ids float as Google's naming says
 * (adapters/shared/floating-models.ts).
 */
import type { ProviderAdapter, ProviderKind } from '../types.js';
import { geminiFloatingModel } from '../shared/floating-models.js';
import { authorize } from './auth.js';
import { classifyError } from './errors.js';
import { apiRoot, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { geminiSettings, type GeminiSettings } from './settings.js';
import { GeminiStreamTranslator } from './stream.js';

export const geminiAdapter: ProviderAdapter<GeminiSettings> = {
  type: 'gemini',
  operations: new Set(['chat', 'embeddings']),
  buildRequest,
  translateResponse,
  createStreamTranslator: (req, target) => new GeminiStreamTranslator(req, target),
  authorize,
  classifyError,
  healthPath: `${apiRoot}/models`,
};

export const geminiKind: ProviderKind<typeof geminiSettings> = {
  adapter: geminiAdapter,
  settings: geminiSettings,
  secrets: ['api_key'],
  floatingModel: geminiFloatingModel,
};
