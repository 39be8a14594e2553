/**
 * Credentials, apart from translation (DESIGN §6): the provider's key as `Authorization: Bearer`, set
 * on the final request just before it is sent, the same step for a completion, a continuation and an
 * active health probe. A configured `Authorization` header (a proxy's own scheme) has already been
 * set by then and wins: it replaces the key rather than being sent beside it.
 */
import type { AuthTarget, UpstreamHttpRequest } from '../types.js';
import type { OpenAICompatibleSettings } from './settings.js';

export function authorize(request: UpstreamHttpRequest, target: AuthTarget<OpenAICompatibleSettings>): UpstreamHttpRequest {
  const key = target.provider.api_key;
  // The request is this send's own (see ProviderAdapter.authorize): set the header, no copy.
  if (key && request.headers['authorization'] === undefined) request.headers['authorization'] = `Bearer ${key}`;
  return request;
}
