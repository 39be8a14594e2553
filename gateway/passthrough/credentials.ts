/**
 * The credential swap of a pass-through request: everything the client sent that authenticates it
 * (its gateway key in `Authorization`, `api-key`, `x-api-key`, a cookie, the `openai-insecure-api-key.*`
 * WebSocket subprotocol browsers use) and everything that could steer the upstream by name (Host,
 * Forwarded, X-Forwarded-*) is removed; the provider's static headers and its credentials, from its
 * adapter's authorize() on a synthetic request, are added. Headers only: no body is read, so bodies
 * stream (config refuses providers whose signature covers the body).
 */
import type { UpstreamHttpRequest } from '../../adapters/types.js';
import type { ProviderRuntime } from '../runtime/types.js';

/** Client headers never forwarded (names lower-case). */
const stripped: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'cookie',
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
]);

/** The browsers' way to send a key on a WebSocket: a subprotocol `openai-insecure-api-key.<key>`. */
export const keySubprotocolPrefix = 'openai-insecure-api-key.';

/** The subprotocols of a `Sec-WebSocket-Protocol` header. */
export function subprotocolsOf(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** The gateway key a WebSocket client sent as a subprotocol, if any. */
export function keyFromSubprotocols(header: string | string[] | undefined): string | undefined {
  const hit = subprotocolsOf(header).find((p) => p.startsWith(keySubprotocolPrefix));
  return hit?.slice(keySubprotocolPrefix.length);
}

/**
 * The provider's headers for this request: its static `headers` and its credentials. authorize() sees
 * a synthetic request (method, path, no body) and may set headers on it; that is all it can do here.
 */
export async function providerHeaders(provider: ProviderRuntime, method: string, path: string): Promise<Record<string, string>> {
  const request: UpstreamHttpRequest = {
    method: method === 'GET' ? 'GET' : 'POST',
    path,
    headers: { ...provider.settings.headers },
  };
  const authorized = provider.adapter.authorize ? await provider.adapter.authorize(request, { provider: provider.settings }) : request;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(authorized.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * Rewrites `headers` (the client's, as received) in place into what goes upstream: credentials and
 * host steering removed, the key subprotocol dropped from the offered ones, the provider's added.
 */
export function swapCredentials(headers: Record<string, string | string[] | undefined>, provider: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(headers)) if (stripped.has(name)) delete headers[name];
  const offered = headers['sec-websocket-protocol'];
  if (offered !== undefined) {
    const kept = subprotocolsOf(offered).filter((p) => !p.startsWith(keySubprotocolPrefix));
    if (kept.length > 0) headers['sec-websocket-protocol'] = kept.join(', ');
    else delete headers['sec-websocket-protocol'];
  }
  Object.assign(headers, provider);
}
