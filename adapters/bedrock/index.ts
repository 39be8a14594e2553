/**
 * AWS Bedrock Runtime (Converse and ConverseStream for chat, InvokeModel for Titan and Cohere
 * embeddings) as a provider type. Differs from OpenAI in everything on the wire: model id in the path,
 * tagged content blocks, strict role alternation, binary event-stream framing, SigV4 signing, AWS error
 * names. Health: Bedrock Runtime has no free GET (every operation is a paid model call or needs a model
 * invocation), so the type declares no health path; breaker probes are off for it (the breaker waits
 * `reset_ms` for a timed trial) and `health_check` needs an explicit `path` (for a proxy that has one).
 */
import type { ProviderKind } from '../types.js';
import { bedrockFloatingModel } from '../shared/floating-models.js';
import { bedrockSettings, prefillStyles } from './settings.js';
import { buildContinuation, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { BedrockStreamTranslator } from './stream.js';
import { classifyError } from './errors.js';
import { authorize } from './auth.js';

export const bedrockKind: ProviderKind<typeof bedrockSettings> = {
  adapter: {
    type: 'bedrock',
    operations: new Set(['chat', 'embeddings']),
    buildRequest,
    buildContinuation,
    translateResponse,
    createStreamTranslator: (req, target) => new BedrockStreamTranslator(req, target),
    authorize,
    classifyError,
  },
  settings: bedrockSettings,
  secrets: ['api_key', 'access_key_id', 'secret_access_key', 'session_token'],
  prefill: { key: 'prefill', styles: prefillStyles, defaultStyle: 'last_assistant' },
  // SigV4 covers the body; an API key (a bearer token) does not.
  signsBody: (settings) => (settings['api_key'] === undefined ? { scheme: 'SigV4', instead: 'an api_key (a bearer key)' } : undefined),
  floatingModel: bedrockFloatingModel,
};
