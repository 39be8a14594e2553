/**
 * Providers from the config: each one's adapter (looked up by type in adapters/index.ts, the only list
 * of providers), its settings, its endpoint pool, and the active health checks it asks for.
 */
import type { Config } from '../../config/schema.js';
import type { ProviderSettings } from '../../adapters/types.js';
import { adapterFor } from '../../adapters/index.js';
import { createEndpointPool } from '../../upstream/endpoint-pool.js';
import { startHealthChecks } from '../../upstream/health-checks.js';
import type { BuildOptions, ProviderRuntime } from './types.js';

export function buildProviders(
  config: Config,
  options: Pick<BuildOptions, 'resolveEndpoint' | 'onEndpointHealth'>,
): { providers: Map<string, ProviderRuntime>; stopChecks: Array<() => void> } {
  const resolve = options.resolveEndpoint ?? ((url: string) => url);
  const providers = new Map<string, ProviderRuntime>();
  const stopChecks: Array<() => void> = [];
  for (const [id, p] of Object.entries(config.providers)) {
    const urls = (p.endpoints ?? [p.base_url!]).map(resolve);
    const settings: ProviderSettings = {
      id,
      type: p.type,
      headers: p.headers,
      ...(p.api_key ? { apiKey: p.api_key } : {}),
    };
    const adapter = adapterFor(p.type);
    const pool = createEndpointPool(urls, { connections: p.max_connections, connectTimeoutMs: p.connect_timeout_ms });
    providers.set(id, { id, type: p.type, adapter, settings, pool });
    const check = p.health_check;
    const path = check?.path ?? adapter.healthPath;
    if (check && path) {
      stopChecks.push(startHealthChecks(pool, { path, intervalMs: check.interval_ms, timeoutMs: check.timeout_ms }, (e, up) => options.onEndpointHealth?.(id, e, up)));
    }
  }
  return { providers, stopChecks };
}
