/**
 * The GPU pools of a Runtime as metrics and /admin/state show them: each member with its scraped
 * state, the age of that state, and why it is full, if it is.
 */
import type { PoolView } from '../../telemetry/pool-metrics.js';
import type { Runtime } from './runtime.js';

export function poolViews(rt: Runtime): PoolView[] {
  const views: PoolView[] = [];
  for (const p of rt.providers.values()) {
    const pool = p.gpuPool;
    if (pool === undefined) continue;
    views.push({ provider: p.id, saturated: pool.spill(), members: pool.state() });
  }
  return views;
}

/** `/admin/state`'s `pools`: the same, in the admin API's snake_case, with the router's own view. */
export function poolStates(rt: Runtime) {
  return [...rt.providers.values()].flatMap((p) => {
    const pool = p.gpuPool;
    if (pool === undefined) return [];
    return [
      {
        provider: p.id,
        saturated: pool.spill() ?? null,
        endpoints: pool.state().map((m) => ({
          url: m.url,
          ready: m.ready,
          not_ready_reason: m.reason ?? null,
          scraped_age_ms: m.scrapedAgeMs === undefined ? null : Math.round(m.scrapedAgeMs),
          waiting: m.waiting ?? null,
          running: m.running ?? null,
          kv_cache_usage: m.kvUsage ?? null,
          prefix_cache_hit_rate: m.prefixHitRate ?? null,
          in_flight: m.inFlight,
          full: m.full ?? null,
          indexed_prefix_blocks: m.indexedBlocks,
          loras: m.loras,
        })),
      },
    ];
  });
}

/**
 * Resolves once every GPU pool of the Runtime has a ready member, or after `timeoutMs` (a pool still
 * empty then goes on joining): a start, or a reload that builds new pools, gives them this moment so
 * that the first requests are not spilled only because the pool has just been made.
 */
export async function firstPoolMembers(rt: Runtime, timeoutMs: number): Promise<void> {
  const pools = [...rt.providers.values()].flatMap((p) => (p.gpuPool ? [p.gpuPool] : []));
  const until = Date.now() + timeoutMs;
  while (pools.some((p) => !p.anyHealthy) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}
