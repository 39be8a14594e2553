/**
 * Anthropic's errors into one kind. Unlike OpenAI, Anthropic names the error in the body itself
 * (`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":…}`), the
 * same object whether it comes as an HTTP error or as an `error` event inside a 200 stream, so the
 * body's `error.type` decides and the status only backs it up. Its own status 529 means overloaded
 * (not a server fault: another deployment may well answer); 402 `billing_error` is the account's
 * problem, like a bad key. Waits come from `retry-after` (seconds) or, failing that, from the
 * `anthropic-ratelimit-*-reset` timestamps (RFC 3339) of the limits that are used up.
 */
import type { UpstreamHeaders } from '../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo, type UpstreamErrorKind } from '../upstream-error.js';
import { isRecord, tryParseJson } from '../shared/json.js';
import { headerValue, retryAfterMs } from '../shared/retry-after.js';
import { contextWindowFromMessage } from '../shared/context-window.js';

const maxMessageChars = 500;

/** `error.type` -> kind, for every type Anthropic documents. */
const kindsByType: Readonly<Record<string, UpstreamErrorKind>> = {
  invalid_request_error: 'bad_request',
  authentication_error: 'auth',
  billing_error: 'auth',
  permission_error: 'auth',
  not_found_error: 'not_found',
  request_too_large: 'bad_request',
  rate_limit_error: 'rate_limited',
  api_error: 'server',
  timeout_error: 'timeout',
  overloaded_error: 'overloaded',
};

/** When the body names no known type: the status Anthropic sends with each. */
function kindOfStatus(status: number): UpstreamErrorKind {
  switch (status) {
    case 429:
      return 'rate_limited';
    case 503:
    case 529:
      return 'overloaded';
    case 408:
    case 504:
      return 'timeout';
    case 401:
    case 402:
    case 403:
      return 'auth';
    case 404:
      return 'not_found';
    default:
      return status >= 400 && status < 500 ? 'bad_request' : 'server';
  }
}

/** "prompt is too long: 210000 tokens > 200000 maximum", "input length and `max_tokens` exceed context limit: …", and kin. */
const contextLengthText = /prompt is too long|context window|context length|context limit|exceeds? the model's maximum/i;

interface ErrorFields {
  type: string | undefined;
  message: string | undefined;
}

/** `{type:"error", error:{type, message}}`, or the inner object alone; undefined when it is neither. */
export function errorFieldsOf(parsed: unknown): ErrorFields | undefined {
  if (!isRecord(parsed)) return undefined;
  const inner = isRecord(parsed['error']) ? parsed['error'] : parsed;
  const type = typeof inner['type'] === 'string' && inner['type'] !== 'error' ? inner['type'] : undefined;
  const message = typeof inner['message'] === 'string' ? inner['message'] : undefined;
  return type === undefined && message === undefined ? undefined : { type, message };
}

function refine(kind: UpstreamErrorKind, fields: ErrorFields | undefined): UpstreamErrorKind {
  if (kind === 'bad_request' && fields?.message !== undefined && contextLengthText.test(fields.message)) return 'context_length';
  return kind;
}

function clip(text: string): string {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  return trimmed.length <= maxMessageChars ? trimmed : `${trimmed.slice(0, maxMessageChars - 1)}…`;
}

function infoOf(kind: UpstreamErrorKind, fields: ErrorFields | undefined, fallback: string, status?: number): UpstreamErrorInfo {
  const message = fields?.message !== undefined && fields.message.trim() !== '' ? clip(fields.message) : fallback;
  const info = upstreamErrorOf(kind, message, { code: fields?.type ?? null, param: null });
  if (status !== undefined) info.status = status;
  if (kind === 'context_length') {
    const window = contextWindowFromMessage(fields?.message);
    if (window !== undefined) info.contextWindow = window;
  }
  return info;
}

/** A non-2xx answer from Anthropic into a kind, retryability and retry delay. */
export function classifyError(status: number, body: string, headers: UpstreamHeaders, nowMs: number = Date.now()): UpstreamErrorInfo {
  const fields = errorFieldsOf(tryParseJson(body));
  const byType = fields?.type !== undefined ? kindsByType[fields.type] : undefined;
  const kind = refine(byType ?? kindOfStatus(status), fields);
  const snippet = clip(body.replace(/<[^>]*>/g, ' ')).slice(0, 200);
  const info = infoOf(kind, fields, snippet === '' ? `HTTP ${status} with an empty body` : `HTTP ${status}: ${snippet}`, status);
  const wait = retryAfterMs(headers, nowMs) ?? (kind === 'rate_limited' ? rateLimitResetMs(headers, nowMs) : undefined);
  if (wait !== undefined) info.retryAfterMs = wait;
  return info;
}

/** An `error` event inside a 200 stream (`overloaded_error` is the usual one): the same body, no status. */
export function classifyStreamError(data: string): UpstreamErrorInfo {
  const fields = errorFieldsOf(tryParseJson(data));
  const kind = refine((fields?.type !== undefined ? kindsByType[fields.type] : undefined) ?? 'server', fields);
  return infoOf(kind, fields, 'upstream reported an error in the stream without a message');
}

const rateLimits = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

/**
 * How long until the used-up limits refill: the latest `anthropic-ratelimit-<limit>-reset` among the
 * limits whose `-remaining` is 0 (all of them must refill before a request passes). Undefined when
 * no limit says it is used up, or its reset is not a timestamp.
 */
export function rateLimitResetMs(headers: UpstreamHeaders, nowMs: number = Date.now()): number | undefined {
  let wait: number | undefined;
  for (const limit of rateLimits) {
    if (headerValue(headers, `anthropic-ratelimit-${limit}-remaining`)?.trim() !== '0') continue;
    const reset = headerValue(headers, `anthropic-ratelimit-${limit}-reset`);
    const at = reset === undefined ? NaN : Date.parse(reset);
    if (Number.isNaN(at)) continue;
    wait = Math.max(wait ?? 0, Math.max(0, at - nowMs));
  }
  return wait;
}
