/**
 * Where limits are counted: the contract between the admission logic (which limits a request takes,
 * gateway/limits/admission.ts) and the stores that count them — in memory for one replica
 * (memory-store.ts), in Redis for many (redis-store.ts, one Lua script per admission), and the
 * resilient store that falls back from Redis to a local share when Redis is slow or down
 * (resilient-store.ts).
 *
 * Every limit is one counter under one string key (`subject`, e.g. `key:team-a:rpm`). Three kinds:
 * - `rate`: GCRA over a period (requests per minute/day, tokens per minute). State: the theoretical
 *   arrival time (TAT). Taking `amount` units moves TAT by amount x period / limit; refused when the
 *   new TAT would lie more than one period ahead of now. A reservation is reconciled later by a
 *   signed `delta` of units (a refund never moves TAT before now).
 * - `concurrency`: leases with a TTL (a sorted set of lease ids by expiry in Redis): refused when
 *   `limit` unexpired leases are held; released by id; a replica that dies leaks nothing.
 * - `budget`: spend in micro-dollars over a calendar period (`periodId`, e.g. `2026-12-02` or
 *   `2026-12`, UTC); checked at admission (refused once spent >= limit), charged after the answer.
 *
 * Admission is all-or-nothing and atomic: every `required` check must pass, then the first group of
 * `candidates` (a deployment's own limits, in plan order) that passes is taken with them. With
 * candidates given and none passing, nothing is taken. Time comes from the store (Redis `TIME`).
 */

export type LimitRule =
  | { readonly kind: 'rate'; readonly limit: number; readonly periodMs: number }
  | { readonly kind: 'concurrency'; readonly limit: number; readonly ttlMs: number }
  | { readonly kind: 'budget'; readonly limitMicros: number; readonly periodId: string; readonly periodEndsAt: number };

export interface LimitCheck {
  /** The counter's key, without the store's prefix: `key:team-a:rpm`, `deployment:gpt-4o@azure:tpm`. */
  readonly subject: string;
  readonly rule: LimitRule;
  /** Units taken: 1 for a request, the reserved tokens for a token limit; ignored by concurrency and budget. */
  readonly amount: number;
}

/** One required rate limit's state after the admission, for the x-ratelimit-* headers. */
export interface RateState {
  readonly subject: string;
  readonly limit: number;
  /** Units that could still be taken now (after this admission's, if admitted). */
  readonly remaining: number;
  /** Milliseconds until the counter is full again (nothing taken). */
  readonly resetMs: number;
}

export interface Refusal {
  readonly subject: string;
  /** When the check could pass (ms from now); Infinity when it never can (amount over the limit). */
  readonly retryAfterMs: number;
}

export interface Admission {
  readonly admitted: boolean;
  /** Index of the candidate group taken; -1 when refused or when no candidates were given. */
  readonly candidate: number;
  /**
   * Why not admitted: the first required check that refused, or (every candidate refused) the candidate
   * limit that frees soonest. Undefined when admitted.
   */
  readonly refusal: Refusal | undefined;
  /** Every required `rate` check's state, in the order given (after taking, when admitted). */
  readonly states: readonly RateState[];
}

/** What an answered (or failed) request settles after the fact; every list may be empty. */
export interface Settlement {
  /** Token reservations reconciled with usage: delta = actual - reserved (negative refunds). */
  readonly rates: readonly { readonly subject: string; readonly rule: LimitRule & { kind: 'rate' }; readonly delta: number }[];
  /** Concurrency leases to release. */
  readonly leases: readonly { readonly subject: string; readonly leaseId: string }[];
  /** Spend to charge, in micro-dollars. */
  readonly spend: readonly { readonly subject: string; readonly rule: LimitRule & { kind: 'budget' }; readonly micros: number }[];
  /** Usage to add to a key's ledger (GET /admin/keys): by UTC day and month. */
  readonly usage?: { readonly key: string; readonly day: string; readonly month: string; readonly counts: UsageCounts };
}

export interface UsageCounts {
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly usdMicros: number;
}

/** How the store counts now: shared in Redis, in memory (no Redis configured), or a local share while Redis is out. */
export type StoreMode = 'redis' | 'memory' | 'fallback_open' | 'fallback_closed';

export interface LimitStore {
  readonly mode: StoreMode;
  /**
   * Checks and takes a request's limits (one Redis round trip). Rejects with LimitsUnavailable only
   * in fail-closed mode while Redis is out; never waits longer than the store's command timeout.
   */
  admit(required: readonly LimitCheck[], candidates: readonly (readonly LimitCheck[])[], leaseId: string): Promise<Admission>;
  /** Settles after the answer. Off the client's path: never throws, never blocks the response. */
  settle(settlement: Settlement): void;
  /** Renews concurrency leases still held (long streams), so their TTL does not lapse. */
  renew(leases: readonly { readonly subject: string; readonly leaseId: string; readonly ttlMs: number }[]): void;
  /** A key's usage for the given UTC day and month (zeros when none). */
  usage(key: string, day: string, month: string): Promise<{ day: UsageCounts; month: UsageCounts }>;
  /** Spent micro-dollars of budget counters and current rate states, for GET /admin/keys. */
  peek(checks: readonly LimitCheck[]): Promise<{ rates: readonly RateState[]; spentMicros: readonly number[] }>;
  close(): Promise<void>;
}

/** Redis is out and the store is set to fail closed: the request gets a 503. */
export class LimitsUnavailable extends Error {
  constructor() {
    super('rate limits cannot be checked: the shared limit store (Redis) is unavailable and the gateway is set to fail closed');
    this.name = 'LimitsUnavailable';
  }
}
