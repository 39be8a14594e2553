/**
 * Gemini API errors into one kind. Google answers in google.rpc form, `{error: {code, message,
 * status, details}}`, and the canonical `status` says more than the HTTP code: RESOURCE_EXHAUSTED
 * (429) is a rate or quota limit whose wait is a `RetryInfo.retryDelay` in `details` ("37s"), not a
 * Retry-After header; UNAVAILABLE (503) is an overloaded model; DEADLINE_EXCEEDED (504) a timeout;
 * INVALID_ARGUMENT (400) a bad request, or a too-long prompt when the message says the input token
 * count exceeds the maximum; an invalid API key also comes as a 400 INVALID_ARGUMENT, with the
 * ErrorInfo reason API_KEY_INVALID, and is an `auth` failure (the gateway's, not the client's).
 */
import type { UpstreamHeaders } from '../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo, type UpstreamErrorKind } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { retryAfterMs } from '../shared/retry-after.js';

const maxMessageChars = 500;

interface GoogleStatus {
  code?: number;
  message?: string;
  status?: string;
  details: JsonObject[];
}

function statusOf(parsed: unknown): GoogleStatus | undefined {
  // A stream may wrap the status in an array (`[{error: …}]`), as the non-SSE stream form does.
  const doc = Array.isArray(parsed) ? (parsed[0] as unknown) : parsed;
  if (!isRecord(doc) || !isRecord(doc['error'])) return undefined;
  const e = doc['error'];
  return {
    ...(typeof e['code'] === 'number' ? { code: e['code'] } : {}),
    ...(typeof e['message'] === 'string' ? { message: e['message'] } : {}),
    ...(typeof e['status'] === 'string' ? { status: e['status'] } : {}),
    details: Array.isArray(e['details']) ? e['details'].filter(isRecord) : [],
  };
}

const byStatus: Readonly<Record<string, UpstreamErrorKind>> = {
  RESOURCE_EXHAUSTED: 'rate_limited',
  UNAVAILABLE: 'overloaded',
  DEADLINE_EXCEEDED: 'timeout',
  INVALID_ARGUMENT: 'bad_request',
  FAILED_PRECONDITION: 'bad_request',
  OUT_OF_RANGE: 'bad_request',
  PERMISSION_DENIED: 'auth',
  UNAUTHENTICATED: 'auth',
  NOT_FOUND: 'not_found',
  INTERNAL: 'server',
  UNKNOWN: 'server',
  ABORTED: 'server',
  CANCELLED: 'server',
};

/** "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)." */
const contextLengthMessage = /input token count.*exceeds the maximum|exceeds the maximum number of tokens|context window|too many tokens/i;
const contextWindowMessage = /maximum number of tokens allowed \((\d+)\)/i;

function isKeyInvalid(s: GoogleStatus): boolean {
  return s.details.some((d) => d['reason'] === 'API_KEY_INVALID') || /API key not valid/i.test(s.message ?? '');
}

function kindOf(httpStatus: number | undefined, s: GoogleStatus | undefined): UpstreamErrorKind {
  if (s && isKeyInvalid(s)) return 'auth';
  const known = s?.status !== undefined ? byStatus[s.status] : undefined;
  const kind = known ?? kindOfHttp(httpStatus ?? s?.code);
  if (kind === 'bad_request' && s?.message !== undefined && contextLengthMessage.test(s.message)) return 'context_length';
  return kind;
}

function kindOfHttp(status: number | undefined): UpstreamErrorKind {
  switch (status) {
    case undefined:
      return 'server';
    case 429:
      return 'rate_limited';
    case 503:
      return 'overloaded';
    case 504:
    case 408:
      return 'timeout';
    case 401:
    case 403:
      return 'auth';
    case 404:
      return 'not_found';
    default:
      return status >= 400 && status < 500 ? 'bad_request' : 'server';
  }
}

/** `RetryInfo.retryDelay`, a protobuf Duration in JSON ("37s", "1.5s"), in ms. */
export function retryDelayMs(details: readonly JsonObject[]): number | undefined {
  for (const d of details) {
    const type = d['@type'];
    const delay = d['retryDelay'];
    if (typeof type === 'string' && type.endsWith('google.rpc.RetryInfo') && typeof delay === 'string') {
      const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
      if (match) return Math.ceil(Number(match[1]) * 1000);
    }
  }
  return undefined;
}

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= maxMessageChars ? trimmed : `${trimmed.slice(0, maxMessageChars - 1)}…`;
}

function infoOf(kind: UpstreamErrorKind, s: GoogleStatus | undefined, fallback: string, httpStatus?: number): UpstreamErrorInfo {
  const message = s?.message !== undefined && s.message.trim() !== '' ? clip(s.message) : fallback;
  const status = httpStatus ?? s?.code;
  const info = upstreamErrorOf(kind, message, { code: s?.status ?? null, param: null, ...(status !== undefined ? { status } : {}) });
  if (kind === 'context_length') {
    const window = contextWindowMessage.exec(s?.message ?? '')?.[1];
    if (window !== undefined) info.contextWindow = Number(window);
  }
  return info;
}

export function classifyError(status: number, body: string, headers: UpstreamHeaders): UpstreamErrorInfo {
  const s = statusOf(tryParseJson(body));
  const snippet = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  const info = infoOf(kindOf(status, s), s, snippet === '' ? `HTTP ${status} with an empty body` : `HTTP ${status}: ${snippet}`, status);
  const wait = retryAfterMs(headers) ?? (s ? retryDelayMs(s.details) : undefined);
  if (wait !== undefined && (info.kind === 'rate_limited' || info.kind === 'overloaded')) info.retryAfterMs = wait;
  return info;
}

/** An error object inside a 2xx answer (a stream event, or a 200 body): classified by its own status. */
export function classifyErrorPayload(payload: unknown): UpstreamErrorInfo {
  const s = statusOf(payload);
  const info = infoOf(kindOf(undefined, s), s, 'upstream reported an error without a message');
  const wait = s ? retryDelayMs(s.details) : undefined;
  if (wait !== undefined && info.kind === 'rate_limited') info.retryAfterMs = wait;
  return info;
}
