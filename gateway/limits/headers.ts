/**
 * OpenAI's rate-limit headers, from the key's and route's rate limits after admission: the tightest
 * request limit and the tightest token limit, as `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`
 * with resets as durations ("1s", "6m0s", "250ms"), so clients that read OpenAI's headers read ours.
 */
import type { RateState } from './store.js';

export function rateLimitHeaders(states: readonly RateState[]): Record<string, string> {
  const headers: Record<string, string> = {};
  let requests: RateState | undefined;
  let tokens: RateState | undefined;
  for (const s of states) {
    if (s.subject.endsWith(':tpm')) {
      if (tokens === undefined || s.remaining < tokens.remaining) tokens = s;
    } else if (requests === undefined || s.remaining < requests.remaining) {
      requests = s;
    }
  }
  if (requests) put(headers, 'requests', requests);
  if (tokens) put(headers, 'tokens', tokens);
  return headers;
}

function put(headers: Record<string, string>, kind: 'requests' | 'tokens', s: RateState): void {
  headers[`x-ratelimit-limit-${kind}`] = String(s.limit);
  headers[`x-ratelimit-remaining-${kind}`] = String(Math.max(0, Math.floor(s.remaining)));
  headers[`x-ratelimit-reset-${kind}`] = duration(s.resetMs);
}

/** `Retry-After` (whole seconds, at least 1) and `retry-after-ms`, as OpenAI and the gateway's other 429s send. */
export function retryHeaders(retryAfterMs: number): Record<string, string> {
  if (!Number.isFinite(retryAfterMs)) return {};
  return {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    'retry-after-ms': String(Math.max(0, Math.ceil(retryAfterMs))),
  };
}

/** A duration the way OpenAI writes resets (Go's format): 250ms, 1.5s, 6m0s, 2h3m0s. */
export function duration(ms: number): string {
  const rounded = Math.max(0, Math.ceil(ms));
  if (rounded < 1_000) return `${rounded}ms`;
  const hours = Math.floor(rounded / 3_600_000);
  const minutes = Math.floor((rounded % 3_600_000) / 60_000);
  const seconds = Math.round((rounded % 60_000) / 10) / 100;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
