/**
 * Providers from the config: each one's adapter (looked up by type in adapters/index.ts, the only list
 * of providers), its settings as the adapter sees them (built once here, from its type's settings
 * schema: adapters/provider-settings.ts), its endpoint pool, and the active health checks it asks for.
 */
import type { Config } from '../../config/schema.js';
import type { UpstreamHttpRequest } from '../../adapters/types.js';
import { adapterFor } from '../../adapters/index.js';
import { providerSettingsOf } from '../../adapters/provider-settings.js';
import { createEndpointPool } from '../../upstream/endpoint-pool.js';
import { startHealthChecks } from '../../upstream/health-checks.js';
import type { ProviderRuntime } from './types.js';
import type { BuildOptions } from './runtime.js';

export function buildProviders(
  config: Config,
  options: Pick<BuildOptions, 'resolveEndpoint' | 'onEndpointHealth'>,
): { providers: Map<string, ProviderRuntime>; stopChecks: Array<() => void> } {
  const resolve = options.resolveEndpoint ?? ((url: string) => url);
  const providers = new Map<string, ProviderRuntime>();
  const stopChecks: Array<() => void> = [];
  for (const [id, p] of Object.entries(config.providers)) {
    const urls = (p.endpoints ?? [p.base_url!]).map(resolve);
    const settings = providerSettingsOf(id, p);
    const adapter = adapterFor(p.type);
    const pool = createEndpointPool(urls, { connections: p.max_connections, connectTimeoutMs: p.connect_timeout_ms });
    providers.set(id, { id, type: p.type, adapter, settings, pool });
    const check = p.health_check;
    const path = check?.path ?? adapter.healthPath;
    if (check && path) {
      // A probe carries what a request carries: the static headers and the adapter's credentials.
      const target = { provider: settings };
      const authorize = adapter.authorize && ((req: UpstreamHttpRequest) => adapter.authorize!(req, target));
      const probe = { path, intervalMs: check.interval_ms, timeoutMs: check.timeout_ms, headers: settings.headers, authorize };
      stopChecks.push(startHealthChecks(pool, probe, (e, up) => options.onEndpointHealth?.(id, e, up)));
    }
  }
  return { providers, stopChecks };
}
