/**
 * Vertex AI's Gemini as a provider type (`vertex`): the same request and answer JSON as the Gemini
 * API (request.ts, response.ts, stream.ts, errors.ts), at a project and location path,
 * `/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
 * (a model `publisher/name` names another publisher's model), with OAuth tokens (vertex-auth.ts).
 * Embeddings go through the prediction service, `:predict`, with a body of their own
 * (vertex-embeddings.ts), not `embedContent`. No default health path: every free GET on Vertex names
 * the project, which a static path cannot; set `health_check.path` (e.g.
 * `/v1/projects/{project}/locations/{location}/endpoints`) to probe.
 */
import type { ClientRequest, ProviderAdapter, ProviderKind, TranslatedResponse, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { geminiFloatingModel } from '../shared/floating-models.js';
import { classifyError } from './errors.js';
import { buildGenerateRequest } from './request.js';
import { translateResponse } from './response.js';
import { GeminiStreamTranslator } from './stream.js';
import { authorizeVertex } from './vertex-auth.js';
import { buildVertexEmbeddingsRequest, translateVertexEmbeddings } from './vertex-embeddings.js';
import { vertexSettings, type VertexSettings } from './vertex-settings.js';

/** The model's resource path on Vertex AI. */
export function vertexModelPath(target: UpstreamTarget<VertexSettings>): string {
  const { project, location } = target.provider;
  const model = target.model.startsWith('publishers/') ? target.model.slice('publishers/'.length).replace('/models/', '/') : target.model;
  const slash = model.indexOf('/');
  const [publisher, name] = slash === -1 ? ['google', model] : [model.slice(0, slash), model.slice(slash + 1)];
  const segment = encodeURIComponent;
  return `/v1/projects/${segment(project)}/locations/${segment(location)}/publishers/${segment(publisher)}/models/${segment(name)}`;
}

function buildRequest(req: ClientRequest, target: UpstreamTarget<VertexSettings>): UpstreamHttpRequest {
  if (req.operation === 'embeddings') return buildVertexEmbeddingsRequest(req, vertexModelPath(target), target);
  return buildGenerateRequest(req, target, vertexModelPath(target));
}

function translate(req: ClientRequest, body: Buffer, target: UpstreamTarget<VertexSettings>): TranslatedResponse {
  if (req.operation === 'embeddings') return translateVertexEmbeddings(req, body.toString('utf8'), target);
  return translateResponse(req, body, target);
}

export const vertexAdapter: ProviderAdapter<VertexSettings> = {
  type: 'vertex',
  operations: new Set(['chat', 'embeddings']),
  buildRequest,
  translateResponse: translate,
  createStreamTranslator: (req, target) => new GeminiStreamTranslator(req, target),
  authorize: authorizeVertex,
  classifyError,
};

export const vertexKind: ProviderKind<typeof vertexSettings> = {
  adapter: vertexAdapter,
  settings: vertexSettings,
  secrets: ['access_token', 'api_key'],
  floatingModel: geminiFloatingModel,
};
