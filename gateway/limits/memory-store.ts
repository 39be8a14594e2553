/**
 * Limits counted in this process: exact for one replica (no Redis configured), and the local share
 * of every limit while Redis is out (ResilientStore builds one with `share = replicas`). Synchronous
 * inside; the promises only match the LimitStore contract. The arithmetic is gcra.ts, the same the Lua
 * scripts do, so a test suite can hold both stores to one contract.
 */
import {
  BUDGET_GRACE_MS,
  budgetCheck,
  counterKey,
  leaseCheck,
  rateReconcile,
  rateState,
  rateTake,
  shareRule,
  US_PER_MS,
  USAGE_DAY_TTL_MS,
  USAGE_MONTH_TTL_MS,
  usageDayKey,
  usageMonthKey,
  type CheckOutcome,
} from './gcra.js';
import type { Admission, LimitCheck, LimitStore, RateState, Refusal, Settlement, UsageCounts } from './store.js';

export interface MemoryStoreOptions {
  /** Epoch milliseconds; injectable for tests. */
  readonly clock?: () => number;
  /** Every limit is divided by this (rounded down, at least 1): one replica's share while Redis is out. */
  readonly share?: number;
  /** Expired counters are dropped every this many admissions, so memory follows live counters only. */
  readonly sweepEvery?: number;
}

interface Expiring<T> {
  value: T;
  expiresAtUs: number;
}

const ZERO: UsageCounts = { requests: 0, promptTokens: 0, completionTokens: 0, usdMicros: 0 };

export class MemoryStore implements LimitStore {
  readonly mode = 'memory' as const;
  private readonly clock: () => number;
  private readonly share: number;
  private readonly sweepEvery: number;
  private admissions = 0;
  /** Rate counters: TAT in µs; a TAT at or before now is a full counter and is dropped. */
  private readonly tats = new Map<string, number>();
  /** Concurrency counters: lease id -> expiry in µs. */
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly spent = new Map<string, Expiring<number>>();
  private readonly ledger = new Map<string, Expiring<UsageCounts>>();

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.share = Math.max(options.share ?? 1, 1);
    this.sweepEvery = options.sweepEvery ?? 1024;
  }

  admit(required: readonly LimitCheck[], candidates: readonly (readonly LimitCheck[])[], leaseId: string): Promise<Admission> {
    const now = this.nowUs();
    if (++this.admissions % this.sweepEvery === 0) this.sweep(now);
    const req = required.map((c) => this.local(c));
    const reqOutcomes = req.map((c) => this.check(c, now, leaseId));
    const refusedAt = reqOutcomes.findIndex((o) => !o.ok);
    if (refusedAt >= 0) {
      const refusal = toRefusal(req[refusedAt]!.subject, reqOutcomes[refusedAt]!.retryUs);
      return Promise.resolve({ admitted: false, candidate: -1, refusal, states: states(req, reqOutcomes, now, false) });
    }
    let chosen = -1;
    let chosenChecks: LimitCheck[] = [];
    let chosenOutcomes: CheckOutcome[] = [];
    let soonest: { subject: string; retryUs: number } | undefined;
    for (const [index, group] of candidates.entries()) {
      const checks = group.map((c) => this.local(c));
      const outcomes = checks.map((c) => this.check(c, now, leaseId));
      // A group frees when its slowest refused check frees; report the group that frees soonest.
      let latest: { subject: string; retryUs: number } | undefined;
      outcomes.forEach((o, i) => {
        if (!o.ok && (latest === undefined || o.retryUs > latest.retryUs)) latest = { subject: checks[i]!.subject, retryUs: o.retryUs };
      });
      if (latest === undefined) {
        [chosen, chosenChecks, chosenOutcomes] = [index, checks, outcomes];
        break;
      }
      if (soonest === undefined || latest.retryUs < soonest.retryUs) soonest = latest;
    }
    if (candidates.length > 0 && chosen < 0) {
      const refusal = toRefusal(soonest!.subject, soonest!.retryUs);
      return Promise.resolve({ admitted: false, candidate: -1, refusal, states: states(req, reqOutcomes, now, false) });
    }
    req.forEach((c, i) => this.take(c, reqOutcomes[i]!, now, leaseId));
    chosenChecks.forEach((c, i) => this.take(c, chosenOutcomes[i]!, now, leaseId));
    return Promise.resolve({ admitted: true, candidate: chosen, refusal: undefined, states: states(req, reqOutcomes, now, true) });
  }

  settle(settlement: Settlement): void {
    const now = this.nowUs();
    for (const { subject, rule, delta } of settlement.rates) {
      const check = this.local({ subject, rule, amount: 0 });
      if (check.rule.kind !== 'rate') continue;
      const key = counterKey(check);
      const tat = rateReconcile(this.tats.get(key), now, check.rule.limit, check.rule.periodMs * US_PER_MS, delta);
      if (tat > now) this.tats.set(key, tat);
      else this.tats.delete(key);
    }
    for (const { subject, leaseId } of settlement.leases) {
      const key = counterKey({ subject, rule: { kind: 'concurrency', limit: 1, ttlMs: 0 }, amount: 0 });
      const held = this.leases.get(key);
      held?.delete(leaseId);
      if (held?.size === 0) this.leases.delete(key);
    }
    for (const { subject, rule, micros } of settlement.spend) {
      const key = counterKey({ subject, rule, amount: 0 });
      const entry = this.spent.get(key);
      const expiresAtUs = (rule.periodEndsAt + BUDGET_GRACE_MS) * US_PER_MS;
      this.spent.set(key, { value: (entry?.value ?? 0) + Math.round(micros), expiresAtUs });
    }
    const usage = settlement.usage;
    if (usage !== undefined) {
      this.addUsage(usageDayKey(usage.key, usage.day), usage.counts, now, USAGE_DAY_TTL_MS);
      this.addUsage(usageMonthKey(usage.key, usage.month), usage.counts, now, USAGE_MONTH_TTL_MS);
    }
  }

  renew(leases: readonly { readonly subject: string; readonly leaseId: string; readonly ttlMs: number }[]): void {
    const now = this.nowUs();
    for (const { subject, leaseId, ttlMs } of leases) {
      const held = this.leases.get(counterKey({ subject, rule: { kind: 'concurrency', limit: 1, ttlMs }, amount: 0 }));
      const expiry = held?.get(leaseId);
      // A lease that already lapsed stays lapsed: its slot may have been given to someone else.
      if (held !== undefined && expiry !== undefined && expiry > now) held.set(leaseId, now + ttlMs * US_PER_MS);
    }
  }

  usage(key: string, day: string, month: string): Promise<{ day: UsageCounts; month: UsageCounts }> {
    const now = this.nowUs();
    const read = (k: string): UsageCounts => {
      const entry = this.ledger.get(k);
      return entry !== undefined && entry.expiresAtUs > now ? { ...entry.value } : ZERO;
    };
    return Promise.resolve({ day: read(usageDayKey(key, day)), month: read(usageMonthKey(key, month)) });
  }

  peek(checks: readonly LimitCheck[]): Promise<{ rates: readonly RateState[]; spentMicros: readonly number[] }> {
    const now = this.nowUs();
    const rates: RateState[] = [];
    const spentMicros: number[] = [];
    for (const check of checks.map((c) => this.local(c))) {
      const key = counterKey(check);
      if (check.rule.kind === 'rate') {
        const { remaining, resetUs } = rateState(this.tats.get(key) ?? now, now, check.rule.limit, check.rule.periodMs * US_PER_MS);
        rates.push({ subject: check.subject, limit: check.rule.limit, remaining, resetMs: resetUs / US_PER_MS });
      } else if (check.rule.kind === 'budget') {
        const entry = this.spent.get(key);
        spentMicros.push(entry !== undefined && entry.expiresAtUs > now ? entry.value : 0);
      }
    }
    return Promise.resolve({ rates, spentMicros });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Counters currently held, for tests of the sweep. */
  get size(): number {
    return this.tats.size + this.leases.size + this.spent.size + this.ledger.size;
  }

  private nowUs(): number {
    return Math.floor(this.clock() * US_PER_MS);
  }

  private local(check: LimitCheck): LimitCheck {
    return this.share === 1 ? check : { ...check, rule: shareRule(check.rule, this.share) };
  }

  private check(check: LimitCheck, now: number, leaseId: string): CheckOutcome {
    const key = counterKey(check);
    const rule = check.rule;
    switch (rule.kind) {
      case 'rate':
        return rateTake(this.tats.get(key), now, rule.limit, rule.periodMs * US_PER_MS, check.amount);
      case 'concurrency': {
        const held = this.leases.get(key);
        return leaseCheck(held?.values() ?? [], now, rule.limit, (held?.get(leaseId) ?? 0) > now);
      }
      case 'budget': {
        const entry = this.spent.get(key);
        return budgetCheck(entry !== undefined && entry.expiresAtUs > now ? entry.value : 0, rule.limitMicros, rule.periodEndsAt, now);
      }
    }
  }

  private take(check: LimitCheck, outcome: CheckOutcome, now: number, leaseId: string): void {
    const key = counterKey(check);
    if (check.rule.kind === 'rate') {
      this.tats.set(key, outcome.nextTatUs);
    } else if (check.rule.kind === 'concurrency') {
      const held = this.leases.get(key) ?? new Map<string, number>();
      for (const [id, expiry] of held) if (expiry <= now) held.delete(id);
      held.set(leaseId, now + check.rule.ttlMs * US_PER_MS);
      this.leases.set(key, held);
    }
  }

  /** Adds to a ledger entry and pushes its expiry out, as HINCRBY + PEXPIRE do in Redis. */
  private addUsage(key: string, counts: UsageCounts, now: number, ttlMs: number): void {
    const entry = this.ledger.get(key);
    const base = entry !== undefined && entry.expiresAtUs > now ? entry.value : ZERO;
    this.ledger.set(key, {
      value: {
        requests: base.requests + Math.round(counts.requests),
        promptTokens: base.promptTokens + Math.round(counts.promptTokens),
        completionTokens: base.completionTokens + Math.round(counts.completionTokens),
        usdMicros: base.usdMicros + Math.round(counts.usdMicros),
      },
      expiresAtUs: now + ttlMs * US_PER_MS,
    });
  }

  /** Drops counters that are full again or expired: what Redis does with PEXPIRE. */
  private sweep(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
    for (const [key, held] of this.leases) {
      for (const [id, expiry] of held) if (expiry <= now) held.delete(id);
      if (held.size === 0) this.leases.delete(key);
    }
    for (const map of [this.spent, this.ledger] as Map<string, Expiring<unknown>>[]) {
      for (const [key, entry] of map) if (entry.expiresAtUs <= now) map.delete(key);
    }
  }
}

function toRefusal(subject: string, retryUs: number): Refusal {
  return { subject, retryAfterMs: retryUs / US_PER_MS };
}

/** Every required rate check's state: after taking when admitted, else as it stands. */
function states(required: readonly LimitCheck[], outcomes: readonly CheckOutcome[], now: number, taken: boolean): RateState[] {
  const result: RateState[] = [];
  required.forEach((check, i) => {
    if (check.rule.kind !== 'rate') return;
    const outcome = outcomes[i]!;
    const { remaining, resetUs } = rateState(
      taken ? outcome.nextTatUs : outcome.tatUs,
      now,
      check.rule.limit,
      check.rule.periodMs * US_PER_MS,
    );
    result.push({ subject: check.subject, limit: check.rule.limit, remaining, resetMs: resetUs / US_PER_MS });
  });
  return result;
}
