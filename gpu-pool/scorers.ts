/**
 * The router's scorers and its fullness test, as pure functions over one decision's snapshot: parallel
 * arrays, one entry per candidate, filled by the router (gpu-pool/router.ts) from its estimates. Every
 * scorer gives each candidate a score in [0, 1], higher is better; the router weighs and adds them, as
 * the GIE endpoint picker / llm-d scheduler does with its queue, kv-cache and prefix scorers.
 *
 * Each takes an optional `out` array to write into (the router reuses one per scorer, so a decision
 * allocates nothing); without it a new one is returned.
 */
import type { ServerLoad } from './server-metrics.js';
import type { FullReason, PoolMember, PoolRouting } from './types.js';

/** A member's load as the router estimates it now: its last scrape plus what was sent since. */
export interface LoadEstimate {
  /** Requests waiting (queued, not yet running). */
  readonly waiting: number;
  /** KV-cache use 0..1; NaN when the server does not publish it. */
  readonly kvUsage: number;
}

function output(out: Float64Array | undefined, n: number): Float64Array {
  return out ?? new Float64Array(n);
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/**
 * Queue: min–max normalised over the candidates' estimated waiting requests, so the least loaded scores
 * 1 and the most loaded 0 (the GIE queue scorer); when all wait the same, all score 1.
 */
export function queueScores(waiting: ArrayLike<number>, out?: Float64Array, n: number = waiting.length): Float64Array {
  const scores = output(out, n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const w = waiting[i]!;
    if (w < min) min = w;
    if (w > max) max = w;
  }
  const range = max - min;
  for (let i = 0; i < n; i += 1) scores[i] = range > 0 && Number.isFinite(range) ? (max - waiting[i]!) / range : 1;
  return scores;
}

/**
 * KV cache: 1 − estimated KV use (the GIE kv-cache scorer). A candidate whose server does not publish
 * it (NaN) gets the mean of the others' scores — neutral — or 1 when none publishes it.
 */
export function kvCacheScores(kvUsage: ArrayLike<number>, out?: Float64Array, n: number = kvUsage.length): Float64Array {
  const scores = output(out, n);
  let sum = 0;
  let known = 0;
  for (let i = 0; i < n; i += 1) {
    const kv = kvUsage[i]!;
    if (Number.isNaN(kv)) continue;
    const s = 1 - clamp01(kv);
    scores[i] = s;
    sum += s;
    known += 1;
  }
  const neutral = known > 0 ? sum / known : 1;
  for (let i = 0; i < n; i += 1) if (Number.isNaN(kvUsage[i]!)) scores[i] = neutral;
  return scores;
}

/** Prefix: the share of the prompt's blocks the candidate is believed to hold (0 when the prompt has none). */
export function prefixScores(
  matched: ArrayLike<number>,
  promptBlocks: number,
  out?: Float64Array,
  n: number = matched.length,
): Float64Array {
  const scores = output(out, n);
  for (let i = 0; i < n; i += 1) scores[i] = promptBlocks > 0 ? clamp01(matched[i]! / promptBlocks) : 0;
  return scores;
}

/**
 * LoRA affinity (the GIE LoRA-affinity idea): 1 when the model asked for is among the adapters the
 * member has loaded, 0.5 when it has a free adapter slot (loading costs little), 0 otherwise. When no
 * candidate reports LoRA information at all (no adapters, no slot count), all score 1: nothing to tell.
 */
export function loraScores(
  loads: ArrayLike<ServerLoad | undefined>,
  model: string,
  out?: Float64Array,
  n: number = loads.length,
): Float64Array {
  const scores = output(out, n);
  let reported = false;
  for (let i = 0; i < n; i += 1) {
    const load = loads[i];
    if (load !== undefined && (load.loras.length > 0 || load.maxLoras !== undefined)) {
      reported = true;
      break;
    }
  }
  for (let i = 0; i < n; i += 1) {
    const load = loads[i];
    if (!reported) scores[i] = 1;
    else if (load === undefined) scores[i] = 0;
    else if (load.loras.includes(model)) scores[i] = 1;
    else if (load.maxLoras !== undefined && load.loras.length < load.maxLoras) scores[i] = 0.5;
    else scores[i] = 0;
  }
  return scores;
}

/** Session: 1 for the candidate the request's session is pinned to (index, or −1 for none), 0 for the rest. */
export function sessionScores(n: number, pinned: number, out?: Float64Array): Float64Array {
  const scores = output(out, n);
  for (let i = 0; i < n; i += 1) scores[i] = i === pinned ? 1 : 0;
  return scores;
}

/**
 * Why a member cannot take more work now, or undefined when it can. In order: not ready; its last
 * scrape older than `staleMs` (never scraped counts as stale); estimated waiting above `maxQueue`;
 * estimated KV use above `maxKvCache` (unknown KV use never makes a member full).
 */
export function fullness(member: PoolMember, estimate: LoadEstimate, routing: PoolRouting, now: number): FullReason | undefined {
  if (!member.ready) return 'not_ready';
  if (!(now - member.scrapedAt <= routing.staleMs)) return 'stale';
  if (estimate.waiting > routing.maxQueue) return 'queue';
  if (estimate.kvUsage > routing.maxKvCache) return 'kv_cache';
  return undefined;
}
