/**
 * Vertex AI credentials, apart from translation: an OAuth 2 access token from google-auth-library
 * (a service-account key file or Application Default Credentials, cloud-platform scope), set as
 * `Authorization: Bearer` on the final request and on health probes. One GoogleAuth per provider,
 * built on first use and kept: the library caches the token and refreshes it before it expires, so a
 * request awaits the network only when a token is due. The library is loaded on the first token
 * (~160 ms of imports every CLI command would otherwise pay). A fixed `access_token` or an
 * Express-mode `api_key` needs no library at all. A configured `Authorization` header wins.
 */
import type { GoogleAuth } from 'google-auth-library';
import type { AuthTarget, UpstreamHttpRequest } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import type { VertexSettings } from './vertex-settings.js';

const cloudPlatform = 'https://www.googleapis.com/auth/cloud-platform';

/** Per provider settings object (built once per config load, so a reload starts afresh). */
const clients = new WeakMap<object, Promise<GoogleAuth>>();

function authFor(provider: VertexSettings & object): Promise<GoogleAuth> {
  let auth = clients.get(provider);
  if (!auth) {
    auth = import('google-auth-library').then(
      (library) =>
        new library.GoogleAuth({ scopes: [cloudPlatform], ...(provider.credentials_file ? { keyFile: provider.credentials_file } : {}) }),
    );
    clients.set(provider, auth);
  }
  return auth;
}

export function authorizeVertex(
  request: UpstreamHttpRequest,
  target: AuthTarget<VertexSettings>,
): UpstreamHttpRequest | Promise<UpstreamHttpRequest> {
  const provider = target.provider;
  if (request.headers['authorization'] !== undefined) return request;
  if (provider.api_key) {
    if (request.headers['x-goog-api-key'] === undefined) request.headers['x-goog-api-key'] = provider.api_key;
    return request;
  }
  if (provider.access_token) {
    request.headers['authorization'] = `Bearer ${provider.access_token}`;
    return request;
  }
  return withLibraryToken(request, authFor(provider));
}

async function withLibraryToken(request: UpstreamHttpRequest, pending: Promise<GoogleAuth>): Promise<UpstreamHttpRequest> {
  let token: string | null | undefined;
  try {
    token = await (await pending).getAccessToken();
  } catch (err) {
    // The gateway's own credentials are missing or refused: another deployment may still have its own.
    throw new UpstreamError(upstreamErrorOf('auth', `Vertex AI credentials: ${(err as Error).message}`, { code: null, param: null }), {
      cause: err,
    });
  }
  if (!token) throw new UpstreamError(upstreamErrorOf('auth', 'Vertex AI credentials gave no access token', { code: null, param: null }));
  request.headers['authorization'] = `Bearer ${token}`;
  return request;
}
