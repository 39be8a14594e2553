/**
 * Providers from the config: each one's adapter (looked up by type in adapters/index.ts, the only list
 * of providers), its settings as the adapter sees them (built once here, from its type's settings
 * schema: adapters/provider-settings.ts), its endpoint pool, and the active health checks it asks for.
 *
 * A GPU pool whose provider is written the same (and serves the same models) in the config a reload
 * brings is carried over, ready members, scraped state and prefix index included: a reload must not
 * empty the pool until its servers are probed again (its requests would spill meanwhile). The Runtime
 * that holds a pool last closes it (`ownedPools`).
 */
import type { Config } from '../../config/schema.js';
import type { PoolConfig } from '../../config/pool-schema.js';
import { createGpuPool, type GpuPool } from '../../gpu-pool/pool.js';
import { sourcesFromConfig } from '../../gpu-pool/discovery.js';
import type { ServerType } from '../../gpu-pool/server-metrics.js';
import type { ProviderSettings, UpstreamHttpRequest } from '../../adapters/types.js';
import { adapterFor } from '../../adapters/index.js';
import { providerSettingsOf } from '../../adapters/provider-settings.js';
import { createEndpointPool } from '../../upstream/endpoint-pool.js';
import { startHealthChecks } from '../../upstream/health-checks.js';
import type { ProviderRuntime } from './types.js';
import type { BuildOptions, Runtime } from './runtime.js';
import { isDeepStrictEqual } from 'node:util';

/** Which Runtime build holds each GPU pool now: only that one closes it. */
const poolOwners = new WeakMap<GpuPool, object>();

export function buildProviders(
  config: Config,
  options: Pick<BuildOptions, 'resolveEndpoint' | 'onEndpointHealth' | 'onPoolEvent' | 'previous'>,
): { providers: Map<string, ProviderRuntime>; stopChecks: Array<() => void>; ownedPools: () => GpuPool[] } {
  const owner = {};
  const resolve = options.resolveEndpoint ?? ((url: string) => url);
  const providers = new Map<string, ProviderRuntime>();
  const stopChecks: Array<() => void> = [];
  for (const [id, p] of Object.entries(config.providers)) {
    const settings = providerSettingsOf(id, p);
    const adapter = adapterFor(p.type);
    if (p.pool !== undefined) {
      const carried = carriedPool(config, id, options.previous);
      const gpuPool = carried ?? buildGpuPool(config, id, p, p.pool, settings, options);
      poolOwners.set(gpuPool, owner);
      providers.set(id, { id, type: p.type, adapter, settings, pool: gpuPool, gpuPool });
      gpuPool.start();
      continue;
    }
    const urls = (p.endpoints ?? [p.base_url!]).map(resolve);
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
  const ownedPools = (): GpuPool[] =>
    [...providers.values()].flatMap((p) => (p.gpuPool !== undefined && poolOwners.get(p.gpuPool) === owner ? [p.gpuPool] : []));
  return { providers, stopChecks, ownedPools };
}

/** The previous Runtime's pool for this provider, if the provider and the models deployed on it are unchanged. */
function carriedPool(config: Config, id: string, previous: Runtime | undefined): GpuPool | undefined {
  const before = previous?.providers.get(id)?.gpuPool;
  if (before === undefined || previous === undefined) return undefined;
  const same =
    isDeepStrictEqual(previous.config.providers[id], config.providers[id]) &&
    isDeepStrictEqual(deployedModels(previous.config, id), deployedModels(config, id));
  return same ? before : undefined;
}

function deployedModels(config: Config, id: string): string[] {
  return [
    ...new Set(
      Object.values(config.deployments)
        .filter((d) => d.provider === id)
        .map((d) => d.model),
    ),
  ].sort();
}

/**
 * A provider with `pool`: its endpoints (static, discovered) join once ready, are scraped and picked on
 * their own metrics (gpu-pool/). A member must list every model the config deploys on the provider.
 */
function buildGpuPool(
  config: Config,
  id: string,
  p: Config['providers'][string],
  pool: PoolConfig,
  settings: ProviderSettings,
  options: Pick<BuildOptions, 'resolveEndpoint' | 'onEndpointHealth' | 'onPoolEvent'>,
): GpuPool {
  const adapter = adapterFor(p.type);
  const target = { provider: settings };
  const models = [
    ...new Set(
      Object.values(config.deployments)
        .filter((d) => d.provider === id)
        .map((d) => d.model),
    ),
  ];
  const urls = p.endpoints ?? (p.base_url === undefined ? [] : [p.base_url]);
  const onPoolEvent = options.onPoolEvent;
  return createGpuPool({
    providerId: id,
    serverType: pool.server ?? (p.type as ServerType),
    models,
    urls,
    discovery: sourcesFromConfig(pool.discovery),
    transport: { connections: p.max_connections, connectTimeoutMs: p.connect_timeout_ms },
    headers: settings.headers,
    ...(adapter.authorize ? { authorize: (req: UpstreamHttpRequest) => adapter.authorize!(req, target) } : {}),
    scrape: { intervalMs: pool.scrape.interval_ms, timeoutMs: pool.scrape.timeout_ms, path: pool.scrape.path },
    readiness: { intervalMs: pool.readiness.interval_ms, timeoutMs: pool.readiness.timeout_ms },
    routing: {
      weights: {
        queue: pool.weights.queue,
        kvCache: pool.weights.kv_cache,
        prefix: pool.weights.prefix,
        lora: pool.weights.lora,
        session: pool.weights.session,
      },
      maxQueue: pool.full_when.queue,
      maxKvCache: pool.full_when.kv_cache,
      staleMs: pool.scrape.stale_ms,
      blockChars: pool.prefix.block_chars,
      maxBlocks: pool.prefix.max_blocks,
      lruBlocks: pool.prefix.lru_blocks,
      hotspotQueueGap: pool.hotspot_queue_gap,
      sessionHeader: pool.session_header?.toLowerCase(),
    },
    spill: pool.spill,
    ...(options.resolveEndpoint ? { resolveEndpoint: options.resolveEndpoint } : {}),
    onMemberChange: (url, ready, reason) => onPoolEvent?.({ kind: 'member', provider: id, url, ready, reason }),
    onDiscoveryError: (source, error) => onPoolEvent?.({ kind: 'discovery_error', provider: id, source, message: error.message }),
  });
}
