/**
 * Redis when it answers, a local share when it does not. The first admission that fails on Redis (an
 * error or the command timeout) switches this replica to a MemoryStore enforcing limit ÷ replicas and is
 * answered from it at once, so no request waits longer than one command timeout. While out, a ping every
 * `recheckMs` finds Redis again and switches back by itself; admissions do not probe Redis meanwhile.
 *
 * The local share starts empty at each switch and is dropped on the way back: counts taken during an
 * outage are not replayed into Redis (they would be stale), and settlements go to whichever store is
 * current — a lease taken in Redis and released during an outage simply lapses at its TTL.
 *
 * `replicas` is configured, or observed: each replica keeps a heartbeat in Redis and remembers how many
 * live replicas it last saw, so that the fallback share is right when Redis is gone.
 */
import { randomUUID } from 'node:crypto';

import { MemoryStore } from './memory-store.js';
import type { RedisStore } from './redis-store.js';
import {
  LimitsUnavailable,
  type Admission,
  type LimitCheck,
  type LimitStore,
  type RateState,
  type Settlement,
  type StoreMode,
  type UsageCounts,
} from './store.js';

export interface ResilientStoreOptions {
  /** While Redis is out: admit on the local share (default) or refuse every admission (503). */
  readonly unavailable?: 'fail_open' | 'fail_closed';
  /** Replicas sharing the limits; observed through heartbeats when not given (1 until observed). */
  readonly replicas?: number;
  /** How often to ping Redis while it is out (default 1000 ms). */
  readonly recheckMs?: number;
  /** How often to renew this replica's heartbeat when `replicas` is observed (default 5000 ms). */
  readonly heartbeatMs?: number;
  readonly onModeChange?: (mode: StoreMode) => void;
  /** Redis failures, for logs; they are never thrown at callers. */
  readonly onError?: (error: Error) => void;
  /** Clock of the local share (epoch ms), for tests. */
  readonly clock?: () => number;
}

export class ResilientStore implements LimitStore {
  private currentMode: StoreMode = 'redis';
  private local: MemoryStore | undefined;
  private observedReplicas = 1;
  private recheckTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pinging = false;
  private closed = false;
  private readonly replicaId = randomUUID();
  private readonly onError: (error: Error) => void;

  constructor(
    private readonly redis: RedisStore,
    private readonly options: ResilientStoreOptions = {},
  ) {
    this.onError = options.onError ?? (() => {});
    if (options.replicas === undefined) {
      const heartbeatMs = options.heartbeatMs ?? 5000;
      // The first beat waits for the connection (there is no offline queue to hold it).
      this.redis.connect().then(
        () => this.heartbeat(heartbeatMs),
        () => {},
      );
      this.heartbeatTimer = setInterval(() => this.heartbeat(heartbeatMs), heartbeatMs);
      this.heartbeatTimer.unref();
    }
  }

  get mode(): StoreMode {
    return this.currentMode;
  }

  /** The replica count the local share divides by: configured, else last observed. */
  get replicas(): number {
    return this.options.replicas ?? this.observedReplicas;
  }

  async admit(required: readonly LimitCheck[], candidates: readonly (readonly LimitCheck[])[], leaseId: string): Promise<Admission> {
    if (this.local === undefined) {
      try {
        return await this.redis.admit(required, candidates, leaseId);
      } catch (error) {
        this.fallBack(error);
      }
    }
    if (this.currentMode === 'fallback_closed') throw new LimitsUnavailable();
    // fallBack() always leaves a local store behind; the `??` only satisfies the type checker.
    return (this.local ?? this.fallBack(new Error('no local store'))).admit(required, candidates, leaseId);
  }

  settle(settlement: Settlement): void {
    (this.local ?? this.redis).settle(settlement);
  }

  renew(leases: readonly { readonly subject: string; readonly leaseId: string; readonly ttlMs: number }[]): void {
    (this.local ?? this.redis).renew(leases);
  }

  /** From Redis when it answers; from the local share (this outage's counts only) when it does not. */
  async usage(key: string, day: string, month: string): Promise<{ day: UsageCounts; month: UsageCounts }> {
    const local = this.local;
    if (local !== undefined) return local.usage(key, day, month);
    try {
      return await this.redis.usage(key, day, month);
    } catch (error) {
      return this.fallBack(error).usage(key, day, month);
    }
  }

  async peek(checks: readonly LimitCheck[]): Promise<{ rates: readonly RateState[]; spentMicros: readonly number[] }> {
    const local = this.local;
    if (local !== undefined) return local.peek(checks);
    try {
      return await this.redis.peek(checks);
    } catch (error) {
      return this.fallBack(error).peek(checks);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.recheckTimer);
    await this.redis.close();
  }

  /** Switches to the local share (once per outage) and starts pinging Redis. */
  private fallBack(error: unknown): MemoryStore {
    this.onError(error instanceof Error ? error : new Error(String(error)));
    if (this.local !== undefined) return this.local;
    const clock = this.options.clock;
    this.local = new MemoryStore(clock === undefined ? { share: this.replicas } : { share: this.replicas, clock });
    this.setMode(this.options.unavailable === 'fail_closed' ? 'fallback_closed' : 'fallback_open');
    if (!this.closed) {
      this.recheckTimer = setInterval(() => this.recheck(), this.options.recheckMs ?? 1000);
      this.recheckTimer.unref();
    }
    return this.local;
  }

  private recheck(): void {
    if (this.pinging) return;
    this.pinging = true;
    this.redis.ping().then(
      () => {
        this.pinging = false;
        if (this.closed || this.local === undefined) return;
        clearInterval(this.recheckTimer);
        this.recheckTimer = undefined;
        this.local = undefined;
        this.setMode('redis');
      },
      () => {
        this.pinging = false;
      },
    );
  }

  private heartbeat(heartbeatMs: number): void {
    // Three missed beats before a replica stops counting: one slow beat must not halve everyone's share.
    this.redis.heartbeat(this.replicaId, heartbeatMs * 3).then(
      (count) => {
        this.observedReplicas = Math.max(count, 1);
      },
      (error: unknown) => this.onError(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private setMode(mode: StoreMode): void {
    if (mode === this.currentMode) return;
    this.currentMode = mode;
    this.options.onModeChange?.(mode);
  }
}
