/**
 * The arithmetic of the limit stores, as pure functions: MemoryStore calls them, and the Lua scripts in
 * redis-lua.ts do the same operations in the same order, so both stores give the same answers.
 *
 * Time is integer microseconds since the epoch (Redis `TIME` gives exactly that). A TAT moves by
 * `floor(amount x periodUs / limit)` per take: integers stay exact in doubles up to 2^53 (epoch µs are
 * ~1.8e15), so a burst of exactly `limit` single takes fits one period with no float slack to argue
 * about — the floor costs at most 1 µs of permissiveness per take. Signed deltas round toward zero, so a
 * refund is never larger than the exact one.
 */
import type { LimitCheck, LimitRule } from './store.js';

export const US_PER_MS = 1000;
const DAY_MS = 86_400_000;

/** Outcome of checking one counter: passes or not, when it could pass, and the TAT before/after taking. */
export interface CheckOutcome {
  readonly ok: boolean;
  /** Microseconds until the check could pass; Infinity when it never can; 0 when it passes. */
  readonly retryUs: number;
  /** Rate only: the TAT now (never before now), and the TAT after taking (equal to it when refused). */
  readonly tatUs: number;
  readonly nextTatUs: number;
}

/** The TAT shift for `units` (signed): truncated toward zero, see the file comment. */
export function tatShiftUs(units: number, limit: number, periodUs: number): number {
  return Math.trunc((units * periodUs) / limit);
}

/** GCRA take: refused when the new TAT would lie more than one period ahead of now. */
export function rateTake(storedUs: number | undefined, nowUs: number, limit: number, periodUs: number, amount: number): CheckOutcome {
  const tatUs = storedUs !== undefined && storedUs > nowUs ? storedUs : nowUs;
  // More than the whole limit can never pass, however long the caller waits.
  if (amount > limit || limit <= 0) return { ok: false, retryUs: Infinity, tatUs, nextTatUs: tatUs };
  const nextTatUs = tatUs + tatShiftUs(amount, limit, periodUs);
  if (nextTatUs - nowUs > periodUs) return { ok: false, retryUs: nextTatUs - periodUs - nowUs, tatUs, nextTatUs: tatUs };
  return { ok: true, retryUs: 0, tatUs, nextTatUs };
}

/** Reconcile by signed units: a refund never moves TAT before now. Returns the new TAT. */
export function rateReconcile(storedUs: number | undefined, nowUs: number, limit: number, periodUs: number, delta: number): number {
  const tatUs = storedUs !== undefined && storedUs > nowUs ? storedUs : nowUs;
  return Math.max(tatUs + tatShiftUs(delta, limit, periodUs), nowUs);
}

/** Units that could be taken now and µs until the counter is full again, for a TAT. */
export function rateState(tatUs: number, nowUs: number, limit: number, periodUs: number): { remaining: number; resetUs: number } {
  const resetUs = Math.max(tatUs - nowUs, 0);
  // The 1e-9 absorbs the rounding of (P - d) x L / P at exact integers; `remaining` only feeds headers.
  const remaining = Math.max(Math.floor(((periodUs - resetUs) * limit) / periodUs + 1e-9), 0);
  return { remaining, resetUs };
}

/** Concurrency: refused while `limit` unexpired leases are held; frees when the earliest expires. */
export function leaseCheck(expiriesUs: Iterable<number>, nowUs: number, limit: number, heldAlready: boolean): CheckOutcome {
  if (heldAlready) return { ok: true, retryUs: 0, tatUs: 0, nextTatUs: 0 };
  if (limit <= 0) return { ok: false, retryUs: Infinity, tatUs: 0, nextTatUs: 0 };
  let held = 0;
  let earliest = Infinity;
  for (const expiry of expiriesUs) {
    if (expiry <= nowUs) continue;
    held++;
    if (expiry < earliest) earliest = expiry;
  }
  if (held < limit) return { ok: true, retryUs: 0, tatUs: 0, nextTatUs: 0 };
  return { ok: false, retryUs: earliest - nowUs, tatUs: 0, nextTatUs: 0 };
}

/** Budget: refused once spent >= limit, until the period ends. */
export function budgetCheck(spentMicros: number, limitMicros: number, periodEndsAtMs: number, nowUs: number): CheckOutcome {
  if (spentMicros < limitMicros) return { ok: true, retryUs: 0, tatUs: 0, nextTatUs: 0 };
  return { ok: false, retryUs: Math.max(periodEndsAtMs * US_PER_MS - nowUs, 0), tatUs: 0, nextTatUs: 0 };
}

/** A rule as one replica's share of it while Redis is out: limit ÷ share, rounded down, at least 1. */
export function shareRule(rule: LimitRule, share: number): LimitRule {
  if (share <= 1) return rule;
  const part = (n: number): number => Math.max(Math.floor(n / share), 1);
  switch (rule.kind) {
    case 'rate':
    case 'concurrency':
      return { ...rule, limit: part(rule.limit) };
    case 'budget':
      return { ...rule, limitMicros: part(rule.limitMicros) };
  }
}

/**
 * The counter's key (without a store prefix). The kind is part of it so that one subject reused for two
 * kinds can never meet a Redis WRONGTYPE; a budget counter is per calendar period.
 */
export function counterKey(check: LimitCheck): string {
  switch (check.rule.kind) {
    case 'rate':
      return `rate:${check.subject}`;
    case 'concurrency':
      return `conc:${check.subject}`;
    case 'budget':
      return `budget:${check.subject}:${check.rule.periodId}`;
  }
}

export const usageDayKey = (key: string, day: string): string => `usage:${key}:d:${day}`;
export const usageMonthKey = (key: string, month: string): string => `usage:${key}:m:${month}`;
/** How long the usage ledger keeps a day and a month (the admin view shows the last month and year). */
export const USAGE_DAY_TTL_MS = 40 * DAY_MS;
export const USAGE_MONTH_TTL_MS = 400 * DAY_MS;
/** A budget counter outlives its period by a day, so a late charge or an admin read still finds it. */
export const BUDGET_GRACE_MS = DAY_MS;

/** The UTC day of an epoch ms: `2026-12-02`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC month of an epoch ms: `2026-12`. */
export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** When a calendar period (`2026-12-02` or `2026-12`, UTC) ends: the epoch ms of the next one's start. */
export function periodEnd(periodId: string): number {
  const match = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(periodId);
  if (match === null) throw new Error(`not a UTC day or month: ${periodId}`);
  const [, year, month, day] = match;
  return day === undefined ? Date.UTC(Number(year), Number(month), 1) : Date.UTC(Number(year), Number(month) - 1, Number(day) + 1);
}
