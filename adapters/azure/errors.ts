/**
 * Azure OpenAI errors into one kind. Azure's bodies are OpenAI's envelope with a string `code`
 * (`"429"`, `"401"`, `"DeploymentNotFound"`, `"content_filter"`), often no `type`, and an
 * `innererror` on content-filter refusals (`ResponsibleAIPolicyViolation`); the shared classifier
 * (adapters/openai-compatible/errors.ts) reads all of that: status first, then the body (content
 * filter, context length). What is Azure's own is how long to wait after a 429: `retry-after-ms` and
 * `retry-after` when sent; otherwise the `x-ratelimit-reset-requests` / `-tokens` header of the
 * exhausted limit (seconds, or a duration such as `6s`, `1m30s`, `250ms`); otherwise the message's own
 * "Please retry after N seconds".
 */
import type { UpstreamHeaders } from '../types.js';
import type { UpstreamErrorInfo } from '../upstream-error.js';
import { classifyError as classifyOpenAICompatible } from '../openai-compatible/errors.js';
import { headerValue } from '../shared/retry-after.js';

const durationPart = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const durationWhole = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const plainSeconds = /^\d+(?:\.\d+)?$/;
const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A reset header's value in milliseconds: plain seconds or a Go-style duration; undefined for anything else. */
export function resetMs(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  if (plainSeconds.test(text)) return Math.ceil(Number(text) * 1000);
  if (!durationWhole.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(durationPart)) total += Number(amount) * unitMs[unit!]!;
  return Math.ceil(total);
}

/** The wait the `x-ratelimit-reset-*` headers imply: the exhausted limit's, else the longer of the two. */
function rateLimitResetMs(headers: UpstreamHeaders): number | undefined {
  const limits = ['requests', 'tokens'].map((limit) => ({
    exhausted: headerValue(headers, `x-ratelimit-remaining-${limit}`)?.trim() === '0',
    wait: resetMs(headerValue(headers, `x-ratelimit-reset-${limit}`)),
  }));
  const exhausted = limits.filter((l) => l.exhausted && l.wait !== undefined);
  const candidates = exhausted.length > 0 ? exhausted : limits;
  const waits = candidates.map((l) => l.wait).filter((w): w is number => w !== undefined);
  return waits.length === 0 ? undefined : Math.max(...waits);
}

const retryAfterInMessage = /retry after (\d+) seconds?/i;

export function classifyError(status: number, body: string, headers: UpstreamHeaders): UpstreamErrorInfo {
  const info = classifyOpenAICompatible(status, body, headers);
  if (info.kind !== 'rate_limited' || info.retryAfterMs !== undefined) return info;
  const fromHeaders = rateLimitResetMs(headers);
  const stated = retryAfterInMessage.exec(info.message)?.[1];
  const wait = fromHeaders ?? (stated === undefined ? undefined : Number(stated) * 1000);
  if (wait !== undefined) info.retryAfterMs = wait;
  return info;
}
