/**
 * Credentials, apart from translation (DESIGN §6): Azure takes the resource key in an `api-key`
 * header, not as a bearer, or a Microsoft Entra ID token as `Authorization: Bearer`. Exactly one may
 * be configured: with both, which one Azure would honour is unclear, and a request signed with the
 * wrong one fails as `auth`; so a provider with both fails every attempt (kind `auth`, which moves on
 * to another deployment) with a message that says so. A configured `api-key` or `Authorization`
 * header (a proxy's own scheme) has already been set and wins over both.
 */
import type { AuthTarget, UpstreamHttpRequest } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import type { AzureSettings } from './settings.js';

export function authorize(request: UpstreamHttpRequest, target: AuthTarget<AzureSettings>): UpstreamHttpRequest {
  const { api_key: key, ad_token: token, id } = target.provider;
  const headers = request.headers;
  if (headers['api-key'] !== undefined || headers['authorization'] !== undefined) return request;
  if (key && token) {
    throw new UpstreamError(
      upstreamErrorOf('auth', `provider '${id}' sets both api_key and ad_token; an Azure provider takes exactly one`, {
        code: null,
        param: null,
      }),
    );
  }
  // The request is this send's own (see ProviderAdapter.authorize): set the header, no copy.
  if (key) headers['api-key'] = key;
  else if (token) headers['authorization'] = `Bearer ${token}`;
  return request;
}
