/**
 * What GET /admin/keys shows of a key: its limits, their live state (remaining requests and tokens,
 * budget spent) and its usage by UTC day and month, read from the limit store without taking anything.
 */
import type { ClientKey } from '../access/keys.js';
import { budgetPeriod, checksOf } from './policy.js';
import type { LimitStore, UsageCounts } from './store.js';

const usd = (micros: number): number => Math.round(micros) / 1e6;

function usageOut(period: string, u: UsageCounts) {
  return { period, requests: u.requests, prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, usd: usd(u.usdMicros) };
}

export async function keyReport(store: LimitStore, key: ClientKey, now = Date.now()) {
  const day = budgetPeriod('day', now).id;
  const month = budgetPeriod('month', now).id;
  const usage = await store.usage(key.name, day, month);
  const limits = key.limits;
  const checks = limits ? checksOf(limits, 0, now) : [];
  const peeked = checks.length > 0 ? await store.peek(checks) : { rates: [], spentMicros: [] };
  const budgets = limits?.budgets ?? [];
  return {
    name: key.name,
    routes: key.routes === null ? 'all' : [...key.routes],
    limits: {
      rates: peeked.rates.map((r) => ({
        limit: r.subject.slice(r.subject.lastIndexOf(':') + 1),
        value: r.limit,
        remaining: Math.max(0, Math.floor(r.remaining)),
        reset_ms: Math.ceil(r.resetMs),
      })),
      concurrency: limits?.concurrency?.rule.limit ?? null,
      budgets: budgets.map((b, i) => ({
        period: b.period,
        usd_limit: b.usdLimit,
        usd_spent: usd(peeked.spentMicros[i] ?? 0),
        renews_at: new Date(budgetPeriod(b.period, now).endsAt).toISOString(),
      })),
    },
    usage: { day: usageOut(day, usage.day), month: usageOut(month, usage.month) },
  };
}
