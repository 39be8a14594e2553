/**
 * Credentials, apart from translation (DESIGN §6): Anthropic takes the key as `x-api-key`, not as
 * OpenAI's `Authorization: Bearer`. It is set on the final request just before it is sent, the same
 * step for a completion, a continuation and a health probe (GET /v1/models needs the key too). A
 * configured `x-api-key` or `Authorization` header (a proxy's own scheme) has been set by then and wins.
 */
import type { AuthTarget, UpstreamHttpRequest } from '../types.js';
import type { AnthropicSettings } from './settings.js';
import { anthropicVersion } from './wire.js';

export function authorize(request: UpstreamHttpRequest, target: AuthTarget<AnthropicSettings>): UpstreamHttpRequest {
  const { provider } = target;
  // The request is this send's own (see ProviderAdapter.authorize): set the headers, no copy.
  const headers = request.headers;
  if (provider.api_key && headers['x-api-key'] === undefined && headers['authorization'] === undefined)
    headers['x-api-key'] = provider.api_key;
  // A health probe is built by the transport, not by buildRequest: it needs the version header too.
  headers['anthropic-version'] ??= provider.anthropic_version ?? anthropicVersion;
  return request;
}
