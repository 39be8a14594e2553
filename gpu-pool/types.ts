/**
 * The contract between the parts of the GPU-pool router, so that the pool the gateway runs
 * (gpu-pool/pool.ts) and the benchmark (bench/pool/) drive the very same decision code
 * (gpu-pool/router.ts) over the same data.
 *
 * - A `PoolMember` is one server as the router sees it: what its last scrape said, when, and what
 *   this gateway itself has in flight there. Whoever scrapes (the pool's scraper, or the bench's
 *   virtual clock) writes it; the router only reads it.
 * - `PoolRouting` is a pool's settings (config `providers.<id>.pool`, with defaults).
 * - `PoolRouter.decide` is one decision: which member, or none because every member is full (the
 *   pool is saturated and the request spills to the route's next candidate).
 */
import type { ServerLoad } from './server-metrics.js';

/** Why a member cannot take more work now. */
export type FullReason = 'queue' | 'kv_cache' | 'stale' | 'not_ready';

export interface PoolMember {
  /** Stable identity: the endpoint's base URL. */
  readonly id: string;
  /** Passed readiness (/health and the model listed) and not failed since. */
  ready: boolean;
  /** The last successful scrape; undefined before the first. */
  load: ServerLoad | undefined;
  /** When `load` was read (the router's clock, ms); -Infinity before the first scrape. */
  scrapedAt: number;
  /** Attempts this gateway has in flight on the member now (its own count, exact). */
  inFlight: number;
}

export interface PoolWeights {
  readonly queue: number;
  readonly kvCache: number;
  readonly prefix: number;
  readonly lora: number;
  readonly session: number;
}

export interface PoolRouting {
  readonly weights: PoolWeights;
  /** A member is full when its (estimated) waiting requests exceed this. */
  readonly maxQueue: number;
  /** ... or its (estimated) KV-cache use exceeds this fraction. */
  readonly maxKvCache: number;
  /** ... or its last scrape is older than this (ms). */
  readonly staleMs: number;
  /** Characters per prefix block (the GIE picker's default is 64, about 16 tokens). */
  readonly blockChars: number;
  /** Blocks hashed per prompt at most (longer prompts: the first ones). */
  readonly maxBlocks: number;
  /** Prefix blocks remembered per member when its cache geometry is unknown. */
  readonly lruBlocks: number;
  /** Hot-spot guard: prefix affinity is ignored when the member it favours waits this many more requests than the least loaded one. */
  readonly hotspotQueueGap: number;
  /** Header whose value keeps a conversation on one member (lower-case); undefined: none. */
  readonly sessionHeader: string | undefined;
}

/** What the router needs to know of one request. */
export interface PoolRequest {
  /** The prompt as rendered text (gpu-pool/prompt.ts renders a chat body). */
  readonly prompt: string;
  /** The model (or LoRA adapter) asked for: seeds the first block, and the LoRA scorer. */
  readonly model: string;
  /** The session header's value, if any. */
  readonly session: string | undefined;
}

export type Decision =
  | {
      readonly kind: 'pick';
      /** Index into the members given to decide(). */
      readonly index: number;
      /** Prefix blocks the chosen member is believed to hold. */
      readonly prefixBlocks: number;
      /** Blocks the prompt has (hashed). */
      readonly promptBlocks: number;
      /** What decided it, for logs and metrics. */
      readonly why: 'prefix' | 'load' | 'session' | 'cold' | 'hotspot';
    }
  | {
      readonly kind: 'saturated';
      /** The reason most members are full for (ties: in FullReason order). */
      readonly reason: FullReason;
    };
