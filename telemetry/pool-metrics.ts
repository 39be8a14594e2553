/**
 * What each GPU pool's endpoints said on their last scrape, as gauges read when Prometheus scrapes
 * the gateway (a `collect` callback over the pools in effect): nothing is written per request, so a
 * gateway nobody scrapes pays nothing. Labels are bounded by the configured pools and their members
 * (a member that leaves the pool leaves the metrics at the next collection).
 */
import { Gauge, type Registry } from 'prom-client';

export const poolMetricNames = {
  ready: 'switchyard_pool_endpoint_ready',
  scrapeAge: 'switchyard_pool_endpoint_scrape_age_seconds',
  waiting: 'switchyard_pool_endpoint_waiting_requests',
  running: 'switchyard_pool_endpoint_running_requests',
  kvCache: 'switchyard_pool_endpoint_kv_cache_usage_ratio',
  prefixHitRate: 'switchyard_pool_endpoint_prefix_cache_hit_ratio',
  inFlight: 'switchyard_pool_endpoint_in_flight_requests',
  full: 'switchyard_pool_endpoint_full',
  saturated: 'switchyard_pool_saturated',
} as const;

/** One member of a pool as the metrics show it (gpu-pool/pool.ts gives this shape). */
export interface PoolMemberView {
  readonly url: string;
  readonly ready: boolean;
  /** Since the last good scrape, ms; undefined: never scraped. */
  readonly scrapedAgeMs: number | undefined;
  readonly waiting: number | undefined;
  readonly running: number | undefined;
  readonly kvUsage: number | undefined;
  /** The server's own rate, else hits / queries between its last two scrapes. */
  readonly prefixHitRate: number | undefined;
  /** This gateway's requests in flight on it. */
  readonly inFlight: number;
  /** Why it is full (queue, kv_cache, stale, not_ready); undefined: it takes requests. */
  readonly full: string | undefined;
}

export interface PoolView {
  readonly provider: string;
  /** Why the whole pool is saturated; undefined: some member takes requests. */
  readonly saturated: string | undefined;
  readonly members: readonly PoolMemberView[];
}

type Source = () => readonly PoolView[];

const sources = new WeakMap<Registry, { source: Source }>();

/**
 * Registers the pool gauges on the registry (once) and makes `source` the pools they read: the
 * gateway passes a function over its current Runtime, so a reload's pools are shown at once.
 */
export function registerPoolMetrics(registry: Registry, source: Source): void {
  const existing = sources.get(registry);
  if (existing) {
    existing.source = source;
    return;
  }
  const holder = { source };
  sources.set(registry, holder);
  const registers = [registry];
  type Label = 'provider' | 'endpoint';
  const perMember = (name: string, help: string, value: (m: PoolMemberView) => number | undefined): void => {
    new Gauge<Label>({
      name,
      help,
      labelNames: ['provider', 'endpoint'],
      registers,
      collect() {
        this.reset();
        for (const pool of holder.source())
          for (const m of pool.members) {
            const v = value(m);
            if (v !== undefined && Number.isFinite(v)) this.set({ provider: pool.provider, endpoint: m.url }, v);
          }
      },
    });
  };
  perMember(
    poolMetricNames.ready,
    'GPU-pool member ready (1: /health passes and the model is listed; 0: not, or left after failures).',
    (m) => (m.ready ? 1 : 0),
  );
  perMember(poolMetricNames.scrapeAge, "Age of the member's last good /metrics scrape, in seconds (absent before the first).", (m) =>
    m.scrapedAgeMs === undefined ? undefined : m.scrapedAgeMs / 1000,
  );
  perMember(poolMetricNames.waiting, 'Requests waiting at the server, as its last scrape said.', (m) => m.waiting);
  perMember(poolMetricNames.running, 'Requests in the running batch, as its last scrape said.', (m) => m.running);
  perMember(poolMetricNames.kvCache, 'KV-cache use 0..1, as its last scrape said.', (m) => m.kvUsage);
  perMember(
    poolMetricNames.prefixHitRate,
    "The server's prefix-cache hit rate 0..1 between its last two scrapes (where it publishes one).",
    (m) => m.prefixHitRate,
  );
  perMember(poolMetricNames.inFlight, "This gateway's requests in flight on the member.", (m) => m.inFlight);
  new Gauge<'provider' | 'endpoint' | 'reason'>({
    name: poolMetricNames.full,
    help: 'GPU-pool member full now (1), by why: queue, kv_cache, stale, not_ready (absent: it takes requests).',
    labelNames: ['provider', 'endpoint', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const pool of holder.source())
        for (const m of pool.members) if (m.full !== undefined) this.set({ provider: pool.provider, endpoint: m.url, reason: m.full }, 1);
    },
  });
  new Gauge<'provider'>({
    name: poolMetricNames.saturated,
    help: 'GPU pool saturated now (1: every member full; its requests spill to the next candidate), else 0.',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const pool of holder.source()) this.set({ provider: pool.provider }, pool.saturated === undefined ? 0 : 1);
    },
  });
}
