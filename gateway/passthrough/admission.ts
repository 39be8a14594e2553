/**
 * Limits of a pass-through request: one request against the key's request-rate limits (`rpm`,
 * `rpd`: the same counters its inference requests take) and against the entry's own `limits`, in
 * one store call, before anything goes upstream. A WebSocket upgrade counts as one request.
 *
 * What is not counted, because the gateway cannot know it: tokens (`tpm`) and spend (budgets) of a
 * native endpoint's answer. A key's `max_concurrency` is not taken either: a pass-through (a
 * WebSocket above all) may stay open for hours and would hold the key's inference slots.
 */
import type { ClientKey } from '../access/keys.js';
import { GatewayError } from '../errors/catalogue.js';
import { rateLimitHeaders, retryHeaders } from '../limits/headers.js';
import { LimitsUnavailable, type LimitCheck, type LimitStore } from '../limits/store.js';
import type { PassthroughEntry } from './table.js';

/** The checks one pass-through request takes. */
export function passthroughChecks(key: ClientKey | undefined, entry: PassthroughEntry): LimitCheck[] {
  const keyChecks = key?.limits?.requests.map((r) => ({ subject: r.subject, rule: r.rule, amount: 1 })) ?? [];
  return [...keyChecks, ...entry.checks];
}

/**
 * Takes one request from every limit that applies, or throws the client's 429 (naming the limit and
 * when it frees, with Retry-After) or 503 (limits unavailable, fail-closed).
 */
export async function admitPassthrough(
  store: LimitStore | undefined,
  key: ClientKey | undefined,
  id: string,
  entry: PassthroughEntry,
): Promise<void> {
  const checks = passthroughChecks(key, entry);
  if (checks.length === 0 || store === undefined) return;
  let admission;
  try {
    admission = await store.admit(checks, [], '');
  } catch (err) {
    if (err instanceof LimitsUnavailable) throw new GatewayError('limits_unavailable', `${err.message}; retry shortly.`, { cause: err });
    throw err;
  }
  if (admission.admitted) return;
  const refusal = admission.refusal!;
  const fromKey = refusal.subject.startsWith('key:');
  const what = fromKey
    ? `the key '${key!.name}': ${key!.limits!.requests.find((r) => r.subject === refusal.subject)?.rule.limit ?? '?'} ${unitOf(refusal.subject)}`
    : `pass-through '${id}': ${entry.describe.get(refusal.subject) ?? refusal.subject}`;
  throw new GatewayError(
    'rate_limit_exceeded',
    `Rate limit reached for ${what}. Retry after ${Math.max(1, Math.ceil(refusal.retryAfterMs / 1000))} s.`,
    {
      headers: { ...rateLimitHeaders(admission.states), ...retryHeaders(refusal.retryAfterMs) },
    },
  );
}

function unitOf(subject: string): string {
  return subject.endsWith(':rpd') ? 'requests per day' : 'requests per minute';
}
