/**
 * Limits shared by every replica, counted in Redis: one Lua script per admission (redis-lua.ts), so a
 * request's limits are checked and taken atomically in one round trip, on Redis's clock.
 *
 * The client is set up for a hot path (see /work/shared/LIBRARIES.md): ioredis queues commands while
 * Redis is down by default and a limit check hung 10 s, so the offline queue is off (fail at once when
 * disconnected), every command has a short timeout (a stopped Redis keeps its socket open), and a
 * command is retried at most once across reconnects. Failing fast is the point: ResilientStore falls back.
 */
import { Redis, type RedisOptions } from 'ioredis';

import { counterKey, US_PER_MS, USAGE_DAY_TTL_MS, USAGE_MONTH_TTL_MS, usageDayKey, usageMonthKey, BUDGET_GRACE_MS } from './gcra.js';
import { ADMIT_LUA, PEEK_LUA, RENEW_LUA, SETTLE_LUA } from './redis-lua.js';
import type { Admission, LimitCheck, LimitStore, RateState, Settlement, UsageCounts } from './store.js';

export interface RedisStoreOptions {
  /** Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Prepended to every key; default `switchyard:`. */
  readonly keyPrefix?: string;
  /** Milliseconds before a command fails (default 100): the longest an admission can wait on Redis. */
  readonly commandTimeout?: number;
  /** Reported here, never thrown: settle/renew failures and connection errors. */
  readonly onError?: (error: Error) => void;
  /** How long settlements gather before one script call sends them (default 20 ms). */
  readonly settleEveryMs?: number;
  /** Further ioredis options (TLS, password, db); the hot-path settings above win. */
  readonly redis?: RedisOptions;
}

/** The scripts, as ioredis defines them (EVALSHA, falling back to EVAL once per connection). */
interface LimitCommands {
  limitsAdmit(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  limitsSettle(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  limitsRenew(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  limitsPeek(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

const KIND_CODE = { rate: 'r', concurrency: 'c', budget: 'b' } as const;

export class RedisStore implements LimitStore {
  readonly mode = 'redis' as const;
  readonly client: Redis;
  private readonly scripts: LimitCommands;
  private readonly onError: (error: Error) => void;
  private readonly commandTimeout: number;
  private everReady = false;
  private batch = emptyBatch();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly settleEveryMs: number;

  constructor(options: RedisStoreOptions = {}) {
    this.onError = options.onError ?? (() => {});
    this.commandTimeout = options.commandTimeout ?? 100;
    this.settleEveryMs = options.settleEveryMs ?? 20;
    this.client = new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      ...options.redis,
      keyPrefix: options.keyPrefix ?? 'switchyard:',
      enableOfflineQueue: false,
      // Only a backstop that clears commands stuck on a stopped Redis: the timeout a request feels is
      // withDeadline's (below), which a busy event loop cannot trip while the reply is already here.
      commandTimeout: Math.max(1_000, 10 * this.commandTimeout),
      maxRetriesPerRequest: 1,
      // Lazy so the constructor does no I/O; connect() starts it. Reconnect briskly (capped at 1 s) so a
      // returning Redis is used again within about a second of answering.
      lazyConnect: true,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    });
    // Without a listener ioredis prints every connection error; route them to the caller instead.
    this.client.on('error', (error: Error) => this.onError(error));
    this.client.once('ready', () => (this.everReady = true));
    this.client.defineCommand('limitsAdmit', { lua: ADMIT_LUA });
    this.client.defineCommand('limitsSettle', { lua: SETTLE_LUA });
    this.client.defineCommand('limitsRenew', { lua: RENEW_LUA });
    this.client.defineCommand('limitsPeek', { lua: PEEK_LUA, readOnly: true });
    this.scripts = this.client as unknown as LimitCommands;
    void this.connect().catch(() => {});
  }

  /** Resolves once connected (commands fail at once before that: there is no offline queue). */
  async connect(): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.client.status === 'wait') return this.client.connect();
    await new Promise<void>((resolve, reject) => {
      const ready = (): void => {
        this.client.off('end', end);
        resolve();
      };
      const end = (): void => {
        this.client.off('ready', ready);
        reject(new Error('redis connection ended'));
      };
      this.client.once('ready', ready).once('end', end);
    });
  }

  async admit(required: readonly LimitCheck[], candidates: readonly (readonly LimitCheck[])[], leaseId: string): Promise<Admission> {
    if (!this.everReady) await this.firstConnection();
    const checks = [...required, ...candidates.flat()];
    const args: (string | number)[] = [...checks.map(counterKey), leaseId, required.length, candidates.length];
    for (const group of candidates) args.push(group.length);
    for (const { rule, amount } of checks) {
      if (rule.kind === 'rate') args.push('r', rule.limit, rule.periodMs * US_PER_MS, amount);
      else if (rule.kind === 'concurrency') args.push('c', rule.limit, rule.ttlMs * US_PER_MS, 0);
      else args.push('b', rule.limitMicros, rule.periodEndsAt * US_PER_MS, 0);
    }
    const reply = integers(await this.withDeadline(this.scripts.limitsAdmit(checks.length, ...args)));
    const [admitted, candidate, refused, retryUs] = reply;
    const states: RateState[] = [];
    let at = 4;
    for (const { subject, rule } of required) {
      if (rule.kind !== 'rate') continue;
      states.push({ subject, limit: rule.limit, remaining: reply[at]!, resetMs: reply[at + 1]! / US_PER_MS });
      at += 2;
    }
    const refusal =
      refused! >= 0 ? { subject: checks[refused!]!.subject, retryAfterMs: retryUs === -1 ? Infinity : retryUs! / US_PER_MS } : undefined;
    return { admitted: admitted === 1, candidate: candidate!, refusal, states };
  }

  /**
   * Settlements are batched: summed per counter and sent as one script call every `settleEveryMs`
   * (20 ms), so the hot path pays one Redis round trip per request (the admission), not two. A refund or
   * a released lease reaches Redis that much later; admissions stay exact.
   */
  settle(settlement: Settlement): void {
    const batch = this.batch;
    for (const { subject, rule, delta } of settlement.rates) {
      const key = counterKey({ subject, rule, amount: 0 });
      const entry = batch.rates.get(key);
      if (entry) entry.delta += delta;
      else batch.rates.set(key, { limit: rule.limit, periodUs: rule.periodMs * US_PER_MS, delta });
    }
    for (const { subject, leaseId } of settlement.leases) {
      batch.leases.push([counterKey({ subject, rule: { kind: 'concurrency', limit: 1, ttlMs: 0 }, amount: 0 }), leaseId]);
    }
    for (const { subject, rule, micros } of settlement.spend) {
      const key = counterKey({ subject, rule, amount: 0 });
      const entry = batch.spend.get(key);
      if (entry) entry.micros += Math.round(micros);
      else batch.spend.set(key, { micros: Math.round(micros), expireAt: rule.periodEndsAt + BUDGET_GRACE_MS });
    }
    const usage = settlement.usage;
    if (usage !== undefined) {
      const dayKey = usageDayKey(usage.key, usage.day);
      const monthKey = usageMonthKey(usage.key, usage.month);
      const at = `${dayKey}\n${monthKey}`;
      const entry = batch.usage.get(at);
      const c = usage.counts;
      if (entry) {
        entry.counts[0] += c.requests;
        entry.counts[1] += c.promptTokens;
        entry.counts[2] += c.completionTokens;
        entry.counts[3] += Math.round(c.usdMicros);
      } else {
        batch.usage.set(at, { dayKey, monthKey, counts: [c.requests, c.promptTokens, c.completionTokens, Math.round(c.usdMicros)] });
      }
    }
    if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), this.settleEveryMs);
      this.flushTimer.unref();
    }
  }

  /** Sends the batched settlements in one script call (also on close). */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const { rates, leases, spend, usage } = this.batch;
    this.batch = emptyBatch();
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const [key, { limit, periodUs, delta }] of rates) {
      if (delta === 0) continue;
      keys.push(key);
      args.push(limit, periodUs, delta);
    }
    const nr = keys.length;
    for (const [key, leaseId] of leases) {
      keys.push(key);
      args.push(leaseId);
    }
    for (const [key, { micros, expireAt }] of spend) {
      keys.push(key);
      args.push(micros, expireAt);
    }
    for (const { dayKey, monthKey, counts } of usage.values()) {
      keys.push(dayKey, monthKey);
      args.push(...counts.map(Math.round), USAGE_DAY_TTL_MS, USAGE_MONTH_TTL_MS);
    }
    if (keys.length === 0) return;
    this.fireAndForget(this.scripts.limitsSettle(keys.length, ...keys, nr, leases.length, spend.size, usage.size, ...args));
  }

  renew(leases: readonly { readonly subject: string; readonly leaseId: string; readonly ttlMs: number }[]): void {
    if (leases.length === 0) return;
    const keys = leases.map(({ subject, ttlMs }) => counterKey({ subject, rule: { kind: 'concurrency', limit: 1, ttlMs }, amount: 0 }));
    const args = leases.flatMap(({ leaseId, ttlMs }) => [leaseId, ttlMs * US_PER_MS]);
    this.fireAndForget(this.scripts.limitsRenew(keys.length, ...keys, ...args));
  }

  async usage(key: string, day: string, month: string): Promise<{ day: UsageCounts; month: UsageCounts }> {
    const [dayHash, monthHash] = await this.withDeadline(
      Promise.all([this.client.hgetall(usageDayKey(key, day)), this.client.hgetall(usageMonthKey(key, month))]),
    );
    return { day: toCounts(dayHash), month: toCounts(monthHash) };
  }

  async peek(checks: readonly LimitCheck[]): Promise<{ rates: readonly RateState[]; spentMicros: readonly number[] }> {
    if (checks.length === 0) return { rates: [], spentMicros: [] };
    const args = checks.flatMap(({ rule }) =>
      rule.kind === 'rate' ? ['r', rule.limit, rule.periodMs * US_PER_MS] : [KIND_CODE[rule.kind], 0, 0],
    );
    const reply = integers(await this.withDeadline(this.scripts.limitsPeek(checks.length, ...checks.map(counterKey), ...args)));
    const rates: RateState[] = [];
    const spentMicros: number[] = [];
    checks.forEach(({ subject, rule }, i) => {
      if (rule.kind === 'rate')
        rates.push({ subject, limit: rule.limit, remaining: reply[2 * i]!, resetMs: reply[2 * i + 1]! / US_PER_MS });
      else if (rule.kind === 'budget') spentMicros.push(reply[2 * i]!);
    });
    return { rates, spentMicros };
  }

  /** One PING within the command timeout: how ResilientStore learns that Redis is back. */
  async ping(): Promise<void> {
    await this.withDeadline(this.client.ping());
  }

  /**
   * Announces this replica (a member of the `replicas` sorted set scored by its expiry, epoch ms) and
   * returns how many replicas are live. Replica clocks only need to agree within `ttlMs`.
   */
  async heartbeat(replicaId: string, ttlMs: number): Promise<number> {
    const now = Date.now();
    const replies = await this.client
      .multi()
      .zremrangebyscore('replicas', '-inf', now)
      .zadd('replicas', now + ttlMs, replicaId)
      .pexpire('replicas', ttlMs * 2)
      .zcount('replicas', `(${now}`, '+inf')
      .exec();
    const count = replies?.[3]?.[1];
    if (typeof count !== 'number') throw new Error('replica heartbeat: unexpected reply');
    return count;
  }

  async close(): Promise<void> {
    this.flush();
    try {
      await this.client.quit();
    } catch {
      // Redis is stopped or gone: drop the socket instead of waiting for QUIT's reply.
      this.client.disconnect();
    }
  }

  /**
   * Right after start the connection may still be opening, and without an offline queue a command would
   * fail at once: the first admissions wait for it, but never longer than one command timeout.
   */
  private async firstConnection(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.commandTimeout)));
    await Promise.race([this.connect(), timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * `reply`, or a timeout after the command timeout. The timer's rejection waits for setImmediate, which
   * runs after the event loop's I/O phase: when the gateway's own loop was busy past the timeout, a reply
   * already in the socket still wins, so a slow gateway is not mistaken for a slow Redis (ioredis's own
   * commandTimeout would fire first and send every replica to its local share).
   */
  private withDeadline<T>(reply: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => setImmediate(() => reject(new Error(`Redis did not answer within ${this.commandTimeout} ms`))),
        this.commandTimeout,
      );
      reply.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private fireAndForget(reply: Promise<unknown>): void {
    reply.catch((error: unknown) => this.onError(error instanceof Error ? error : new Error(String(error))));
  }
}

interface SettleBatch {
  rates: Map<string, { limit: number; periodUs: number; delta: number }>;
  leases: [key: string, leaseId: string][];
  spend: Map<string, { micros: number; expireAt: number }>;
  usage: Map<string, { dayKey: string; monthKey: string; counts: number[] }>;
}

function emptyBatch(): SettleBatch {
  return { rates: new Map(), leases: [], spend: new Map(), usage: new Map() };
}

/** A script's reply as integers (RESP2/RESP3 both give numbers for Lua integers). */
function integers(reply: unknown): number[] {
  if (!Array.isArray(reply) || !reply.every((n) => typeof n === 'number')) throw new Error('limit script: unexpected reply');
  return reply as number[];
}

function toCounts(hash: Record<string, string>): UsageCounts {
  const field = (name: string): number => Number(hash[name] ?? 0);
  return {
    requests: field('requests'),
    promptTokens: field('prompt_tokens'),
    completionTokens: field('completion_tokens'),
    usdMicros: field('usd_micros'),
  };
}
