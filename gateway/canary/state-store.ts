/**
 * Where a canary's state lives: its status, share, ramp step and why it last changed. In this process
 * for a single replica; in Redis when `redis` is configured, so that every replica serves the same share
 * and a rollback on one stops the canary on all (each replica re-reads it every half second).
 *
 * Writes are compare-and-set on a version number, so two replicas that decide at once (one rolls back
 * while another advances the ramp) cannot both win: the loser re-reads and decides again. A state is
 * kept per route and rollout (a fingerprint of what the config says the rollout is): a config that
 * changes the canary's targets or ramp starts a new rollout, with fresh state.
 */
import { Redis } from 'ioredis';

export type CanaryStatus = 'gating' | 'gate_failed' | 'running' | 'paused' | 'rolled_back' | 'complete' | 'promoted';

/** Statuses in which canary and stable both get traffic, so the guard watches them. */
export const watchedStatuses: ReadonlySet<CanaryStatus> = new Set(['running', 'paused', 'complete']);

export interface CanaryState {
  readonly status: CanaryStatus;
  /** The share of subjects sent to the canary, 0..100. */
  readonly percent: number;
  /** The ramp step (from 0); -1 without a ramp. */
  readonly step: number;
  /** When the status or step began (Unix ms): a ramp step's hold counts from here. */
  readonly since: number;
  /** Why it last changed, for people (a rollback's regression, "manual", the gate's result). */
  readonly reason: string | undefined;
  /** What caused the last rollback: a guard metric, `manual` or `gate`; undefined otherwise. */
  readonly cause: string | undefined;
  /** The replica that runs the gate, and since when (a replica may take over a stale one). */
  readonly gateOwner: string | undefined;
  readonly gateStartedAt: number | undefined;
  /** Raised by every write; the compare of compare-and-set. */
  readonly version: number;
  /** The replica that wrote it. */
  readonly by: string;
}

export interface CanaryStateStore {
  /** Whether other replicas see the same state (Redis). */
  readonly shared: boolean;
  /** The stored state, synchronously, when the store can say so without I/O (in memory). */
  peek?(key: string): CanaryState | undefined;
  get(key: string): Promise<CanaryState | undefined>;
  /** Stores `next` if the stored version is `expected` (undefined: none stored yet); true when it did. */
  compareAndSet(key: string, expected: number | undefined, next: CanaryState): Promise<boolean>;
  close(): Promise<void>;
}

export class MemoryStateStore implements CanaryStateStore {
  readonly shared = false;
  private readonly states = new Map<string, CanaryState>();

  peek(key: string): CanaryState | undefined {
    return this.states.get(key);
  }

  get(key: string): Promise<CanaryState | undefined> {
    return Promise.resolve(this.states.get(key));
  }

  compareAndSet(key: string, expected: number | undefined, next: CanaryState): Promise<boolean> {
    return Promise.resolve(this.setNow(key, expected, next));
  }

  /** The synchronous compare-and-set behind compareAndSet. */
  setNow(key: string, expected: number | undefined, next: CanaryState): boolean {
    if (this.states.get(key)?.version !== expected) return false;
    this.states.set(key, next);
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// KEYS[1]: the state; ARGV: expected version (-1: none stored), the new state as JSON, its expiry in ms.
const COMPARE_AND_SET_LUA = `
local current = redis.call('GET', KEYS[1])
local version = -1
if current then version = tonumber(cjson.decode(current).version) end
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/** A rollout nobody has touched for this long is forgotten. */
const KEEP_MS = 30 * 24 * 3_600_000;

interface CanaryCommands {
  canaryCompareAndSet(key: string, expected: number, state: string, keepMs: number): Promise<number>;
}

export class RedisStateStore implements CanaryStateStore {
  readonly shared = true;
  private readonly client: Redis;
  private readonly waitMs: number;

  constructor(options: { url: string; keyPrefix: string; commandTimeoutMs: number; onError?: (error: Error) => void }) {
    this.waitMs = Math.max(1_000, options.commandTimeoutMs);
    this.client = new Redis(options.url, {
      keyPrefix: `${options.keyPrefix}canary:`,
      enableOfflineQueue: false,
      commandTimeout: Math.max(1_000, options.commandTimeoutMs),
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    });
    this.client.on('error', (error: Error) => options.onError?.(error));
    this.client.defineCommand('canaryCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET_LUA });
    void this.client.connect().catch(() => {});
  }

  /** Resolves once connected, or rejects after the command timeout (there is no offline queue). */
  private async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', ready);
        reject(new Error(`Redis is not connected (${this.client.status})`));
      }, this.waitMs);
      const ready = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', ready);
    });
  }

  async get(key: string): Promise<CanaryState | undefined> {
    await this.ready();
    const text = await this.client.get(key);
    return text === null ? undefined : (JSON.parse(text) as CanaryState);
  }

  async compareAndSet(key: string, expected: number | undefined, next: CanaryState): Promise<boolean> {
    await this.ready();
    const commands = this.client as unknown as CanaryCommands;
    return (await commands.canaryCompareAndSet(key, expected ?? -1, JSON.stringify(next), KEEP_MS)) === 1;
  }

  async close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }
}
