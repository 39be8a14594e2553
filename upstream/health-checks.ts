/**
 * Active health checks for the endpoints of a self-hosted pool: a cheap GET (the adapter's health path,
 * e.g. `/models` under the base URL; never a paid completion) on a timer. An endpoint that fails it gets
 * no traffic until it passes again; a server still loading its model (llama.cpp answers 503) is simply
 * not ready yet. Off unless a provider configures `health_check`. A probe is sent with the credentials
 * a request would carry (the provider's static headers, then the adapter's authorize step): a server
 * behind a key must not look down only because its probe came without one.
 */
import type { UpstreamHttpRequest } from '../adapters/types.js';
import type { Endpoint, EndpointPool } from './endpoint-pool.js';

export interface HealthCheckOptions {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** The provider's static headers (names lower-cased), as on every request. */
  headers?: Readonly<Record<string, string>>;
  /** The adapter's authorize step, bound to the provider: credentials or a signature, per probe. */
  authorize?: (request: UpstreamHttpRequest) => UpstreamHttpRequest | Promise<UpstreamHttpRequest>;
}

export async function probe(endpoint: Endpoint, options: HealthCheckOptions): Promise<boolean> {
  try {
    // A fresh request per probe: authorize may set headers on it, and a signature must be current.
    const request: UpstreamHttpRequest = { method: 'GET', path: options.path, headers: { accept: 'application/json', ...options.headers } };
    const ready = options.authorize ? await options.authorize(request) : request;
    const res = await endpoint.transport.request(ready, AbortSignal.timeout(options.timeoutMs), {
      headersTimeoutMs: options.timeoutMs,
      bodyTimeoutMs: options.timeoutMs,
    });
    res.body.resume();
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

/** Starts checking every endpoint of the pool; returns the function that stops it. */
export function startHealthChecks(
  pool: EndpointPool,
  options: HealthCheckOptions,
  onChange: (endpoint: Endpoint, healthy: boolean) => void = () => undefined,
): () => void {
  let stopped = false;
  const check = async (endpoint: Endpoint) => {
    const healthy = await probe(endpoint, options);
    if (stopped || healthy === endpoint.healthy) return;
    pool.setHealthy(endpoint, healthy);
    onChange(endpoint, healthy);
  };
  const timers = pool.endpoints.map((endpoint) => {
    void check(endpoint);
    const timer = setInterval(() => void check(endpoint), options.intervalMs);
    timer.unref();
    return timer;
  });
  return () => {
    stopped = true;
    for (const t of timers) clearInterval(t);
  };
}
