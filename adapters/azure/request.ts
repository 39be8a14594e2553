/**
 * The client's OpenAI request, for Azure OpenAI. The body is OpenAI's (the shared builder,
 * adapters/openai-compatible/request.ts, applies the usage-in-streams rule and reuses the client's
 * bytes); what differs is the address. Deployment URLs name the deployment in the path and the API
 * version in the query (`/openai/deployments/<name>/chat/completions?api-version=2024-10-21`), and
 * Azure ignores the body's `model`; the v1 API has OpenAI's paths under `/openai/v1` and reads the
 * deployment name from `model`. Either way the deployment's `model` is the Azure deployment name.
 * There is no continuation: Azure's models answer a final assistant message anew, never extend it.
 */
import type { ClientRequest, OpenAIOperation, Operation, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import type { OpenAICompatibleProfile } from '../openai-compatible/profiles.js';
import { spliceTopLevel } from '../shared/json-splice.js';
import { upstreamBody, upstreamHeaders } from '../openai-compatible/request.js';
import { v1ApiVersion, type AzureSettings } from './settings.js';

const operations: ReadonlySet<Operation> = new Set<Operation>(['chat', 'completions', 'embeddings']);

/**
 * Azure as an OpenAI-compatible server, for the shared body builder: it reads `max_completion_tokens`
 * and `stop` as OpenAI does. Base64 embeddings are not assumed (older API versions ignore
 * `encoding_format`): floats are asked for and encoded for the client that wanted base64.
 */
export const azureProfile: OpenAICompatibleProfile<'azure'> = {
  type: 'azure',
  operations,
  maxCompletionTokensAsMaxTokens: false,
  stopAsArray: false,
  base64Embeddings: false,
};

const operationPaths: Readonly<Record<OpenAIOperation, string>> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

/** The path after the endpoint (the provider's base_url) for an operation on a deployment. */
export function azurePath(operation: OpenAIOperation, deployment: string, settings: AzureSettings): string {
  if (settings.api_version === v1ApiVersion) return `/openai/v1${operationPaths[operation]}`;
  const version = encodeURIComponent(settings.api_version);
  return `/openai/deployments/${encodeURIComponent(deployment)}${operationPaths[operation]}?api-version=${version}`;
}

export function buildRequest(req: ClientRequest, target: UpstreamTarget<AzureSettings>): UpstreamHttpRequest {
  const body = upstreamBody(azureProfile, req, target.model);
  return {
    method: 'POST',
    path: azurePath(req.operation as OpenAIOperation, target.model, target.provider),
    headers: upstreamHeaders(target.provider, req.stream),
    // The client's bytes with only the changed members re-encoded, as the shared builder does.
    body: body === undefined ? req.raw : (spliceTopLevel(req.raw, req.body, body) ?? JSON.stringify(body)),
  };
}
