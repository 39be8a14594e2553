/**
 * Which limits a request takes, compiled once per Runtime from the config: per key (`keys[].limits`,
 * `keys[].budget`), per route (`routes.<name>.limits`) and per deployment (`deployments.<id>.limits`,
 * the provider's own quota). A subject with no limits compiles to undefined, so a request that meets
 * none costs nothing here and never reaches the store.
 */
import type { BudgetConfig, LimitsConfig, RedisConfig } from '../../config/schema.js';
import type { LimitCheck, LimitRule } from './store.js';

const minuteMs = 60_000;
const dayMs = 86_400_000;

/** Output tokens reserved against a token limit when the request sets no max_tokens (documented). */
export const defaultReservedOutputTokens = 1_024;

/** A concurrency lease lives this long unless renewed (every third of it while the request runs); `redis.lease_ttl_ms`. */
export const defaultLeaseTtlMs = 60_000;

/** The lease TTL the config sets (`redis.lease_ttl_ms`), or the default. */
export function leaseTtlOf(redis: RedisConfig | undefined): number {
  return typeof redis === 'object' ? redis.lease_ttl_ms : defaultLeaseTtlMs;
}

type RateRule = LimitRule & { kind: 'rate' };

interface Budget {
  readonly subject: string;
  readonly usdLimit: number;
  readonly period: 'day' | 'month';
}

/** One subject's limits (a key, a route or a deployment), with the labels its messages use. */
export interface SubjectLimits {
  /** `key 'team-a'`, `route 'chat'`, `deployment 'gpt-4o@azure'`. */
  readonly label: string;
  readonly requests: readonly { readonly subject: string; readonly rule: RateRule; readonly unit: string }[];
  readonly tokens: { readonly subject: string; readonly rule: RateRule } | undefined;
  readonly concurrency: { readonly subject: string; readonly rule: LimitRule & { kind: 'concurrency' } } | undefined;
  readonly budgets: readonly Budget[];
}

export function compileLimits(
  kind: 'key' | 'route' | 'deployment',
  name: string,
  limits: LimitsConfig | undefined,
  budget?: BudgetConfig,
  leaseTtlMs = defaultLeaseTtlMs,
): SubjectLimits | undefined {
  if (limits === undefined && budget === undefined) return undefined;
  const base = `${kind}:${name}`;
  const requests: SubjectLimits['requests'][number][] = [];
  if (limits?.rpm !== undefined) requests.push({ subject: `${base}:rpm`, rule: rate(limits.rpm, minuteMs), unit: 'requests per minute' });
  if (limits?.rpd !== undefined) requests.push({ subject: `${base}:rpd`, rule: rate(limits.rpd, dayMs), unit: 'requests per day' });
  const budgets: Budget[] = [];
  if (budget?.usd_per_day !== undefined) budgets.push({ subject: `${base}:usd:day`, usdLimit: budget.usd_per_day, period: 'day' });
  if (budget?.usd_per_month !== undefined) budgets.push({ subject: `${base}:usd:month`, usdLimit: budget.usd_per_month, period: 'month' });
  return {
    label: `${kind} '${name}'`,
    requests,
    tokens: limits?.tpm === undefined ? undefined : { subject: `${base}:tpm`, rule: rate(limits.tpm, minuteMs) },
    concurrency:
      limits?.max_concurrency === undefined
        ? undefined
        : { subject: `${base}:concurrency`, rule: { kind: 'concurrency', limit: limits.max_concurrency, ttlMs: leaseTtlMs } },
    budgets,
  };
}

function rate(limit: number, periodMs: number): RateRule {
  return { kind: 'rate', limit, periodMs };
}

/** The calendar period a budget counts in now (UTC), and when it ends. */
export function budgetPeriod(period: 'day' | 'month', now: number): { id: string; endsAt: number } {
  const d = new Date(now);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  if (period === 'month') return { id: `${year}-${pad(month + 1)}`, endsAt: Date.UTC(year, month + 1, 1) };
  return { id: `${year}-${pad(month + 1)}-${pad(d.getUTCDate())}`, endsAt: Date.UTC(year, month, d.getUTCDate() + 1) };
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The checks a request takes from one subject: a request each, its reserved tokens, a lease, its budgets. */
export function checksOf(limits: SubjectLimits, reservedTokens: number, now: number): LimitCheck[] {
  const checks: LimitCheck[] = limits.requests.map((r) => ({ subject: r.subject, rule: r.rule, amount: 1 }));
  if (limits.tokens) checks.push({ subject: limits.tokens.subject, rule: limits.tokens.rule, amount: reservedTokens });
  if (limits.concurrency) checks.push({ subject: limits.concurrency.subject, rule: limits.concurrency.rule, amount: 1 });
  for (const b of limits.budgets) {
    const period = budgetPeriod(b.period, now);
    checks.push({
      subject: `${b.subject}:${period.id}`,
      rule: { kind: 'budget', limitMicros: Math.round(b.usdLimit * 1e6), periodId: period.id, periodEndsAt: period.endsAt },
      amount: 0,
    });
  }
  return checks;
}

/** What a subject's check is, in words, for a 429 a person can act on. */
export function describeCheck(limits: SubjectLimits, subject: string): string {
  const request = limits.requests.find((r) => r.subject === subject);
  if (request) return `${request.rule.limit} ${request.unit}`;
  if (limits.tokens?.subject === subject) return `${limits.tokens.rule.limit} tokens per minute`;
  if (limits.concurrency?.subject === subject) return `${limits.concurrency.rule.limit} requests at once`;
  const budget = limits.budgets.find((b) => subject.startsWith(`${b.subject}:`));
  if (budget) return `a budget of $${budget.usdLimit} per ${budget.period} (UTC)`;
  return subject;
}

/** Whether any subject in the config has a limit (else the limiter is not built at all). */
export function anyLimits(subjects: Iterable<SubjectLimits | undefined>): boolean {
  for (const s of subjects) if (s !== undefined) return true;
  return false;
}
