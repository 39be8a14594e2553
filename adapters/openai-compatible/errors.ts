/**
 * Upstream errors into one kind. OpenAI-compatible servers agree on status codes more than on bodies
 * (see WireErrorBody in wire.ts): codes come as strings or integers, messages as objects or bare
 * strings, TGI adds `error_type`, llama.cpp answers 503 while its model loads. The kind is decided
 * from the status first, then refined by the body (context length, content filter, quota, TGI
 * overload); a 404 about a reference the request makes (a Responses `previous_response_id`) is the
 * client's mistake, not a missing model. What comes out never carries an integer code or anything
 * from our own request.
 */
import type { UpstreamHeaders } from '../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo, type UpstreamErrorKind } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { retryAfterMs } from '../shared/retry-after.js';
import { contextWindowFromField, contextWindowFromMessage } from '../shared/context-window.js';

const maxMessageChars = 500;
const maxSnippetChars = 200;

/** The parts of an error body we use, whatever format it came in. */
export interface ErrorFields {
  message?: string;
  type?: string;
  code: string | null;
  param: string | null;
  /** A status the body itself states (TGI's `http_status_code`, an integer `code` in 400..599). */
  statedStatus?: number;
  /** A window the body states beside its message (llama.cpp's `n_ctx`). */
  nCtx?: number;
}

const stringOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function codeOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function statusIn(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599 ? v : undefined;
}

/** Reads any of the error body formats listed in wire.ts; undefined when it is none of them. */
export function errorFieldsOf(parsed: unknown): ErrorFields | undefined {
  if (!isRecord(parsed)) return undefined;
  let inner = parsed['error'];
  if (isRecord(inner) && isRecord(inner['error'])) inner = inner['error']; // `{error: {error: {...}}}`
  if (isRecord(inner)) return fieldsOfObject(inner, parsed);
  if (typeof inner === 'string') {
    return {
      message: inner,
      type: stringOf(parsed['error_type']) ?? stringOf(parsed['type']),
      code: codeOf(parsed['code']),
      param: stringOf(parsed['param']) ?? null,
      statedStatus: statusIn(parsed['http_status_code']) ?? statusIn(parsed['code']),
    };
  }
  if (parsed['object'] === 'error' || typeof parsed['message'] === 'string') return fieldsOfObject(parsed, parsed);
  const detail = parsed['detail'];
  if (typeof detail === 'string') return { message: detail, code: null, param: null };
  if (Array.isArray(detail) && isRecord(detail[0]) && typeof detail[0]['msg'] === 'string') {
    return { message: detail[0]['msg'], code: null, param: null };
  }
  return undefined;
}

function fieldsOfObject(e: JsonObject, outer: JsonObject): ErrorFields {
  const inner = e['innererror'];
  const code = codeOf(e['code']) ?? (isRecord(inner) ? codeOf(inner['code']) : null);
  return {
    message: stringOf(e['message']),
    type: stringOf(e['type']) ?? stringOf(outer['error_type']),
    code,
    param: stringOf(e['param']) ?? null,
    statedStatus: statusIn(e['http_status_code']) ?? statusIn(outer['http_status_code']) ?? statusIn(e['code']),
    nCtx: contextWindowFromField(e['n_ctx']),
  };
}

const contextLengthText =
  /maximum context length|context length|context window|context size|maximum model length|too many tokens|prompt is too long|tokens \+ `?max_new_tokens`? must be|`inputs` must have less than/i;

function isContextLength(f: ErrorFields | undefined): boolean {
  if (!f) return false;
  if (f.code === 'context_length_exceeded' || f.type === 'exceed_context_size_error') return true;
  return f.message !== undefined && contextLengthText.test(f.message);
}

/** The window a context-length error states, from its own field or its message (adapters/shared/context-window.ts). */
function withContextWindow(info: UpstreamErrorInfo, fields: ErrorFields | undefined): UpstreamErrorInfo {
  if (info.kind !== 'context_length') return info;
  const window = fields?.nCtx ?? contextWindowFromMessage(fields?.message);
  if (window !== undefined) info.contextWindow = window;
  return info;
}

function isContentFilter(f: ErrorFields | undefined): boolean {
  return f?.code === 'content_filter' || f?.code === 'ResponsibleAIPolicyViolation' || f?.type === 'content_filter';
}

/**
 * A 404 about something the request names other than the model: state it refers to that does not
 * exist (the Responses API's `previous_response_id`, a `conversation`, a `file_id`). The client's
 * mistake, not a deployment without its model: no other deployment would know it either.
 */
function isMissingReference(status: number, f: ErrorFields | undefined): boolean {
  return status === 404 && f !== undefined && ((f.param !== null && f.param !== 'model') || f.code === 'previous_response_not_found');
}

/** The kind for a status and what the body says; the order of checks is the documented contract. */
export function kindOf(status: number, f: ErrorFields | undefined): UpstreamErrorKind {
  if (status >= 400 && status < 500 && isContentFilter(f)) return 'content_filter';
  if (isMissingReference(status, f)) return 'bad_request';
  if ((status === 400 || status === 413 || status === 422) && isContextLength(f)) return 'context_length';
  switch (status) {
    case 429:
      return f?.type === 'overloaded' ? 'overloaded' : 'rate_limited';
    case 503:
    case 529:
      return 'overloaded';
    case 504:
    case 408:
      return 'timeout';
    case 401:
    case 403:
      return 'auth';
    case 404:
      return 'not_found';
    case 424: // TGI: the generation itself failed
      return 'server';
    default:
      return status >= 400 && status < 500 ? 'bad_request' : 'server';
  }
}

function isQuota(f: ErrorFields | undefined): boolean {
  return f?.code === 'insufficient_quota' || f?.type === 'insufficient_quota';
}

function clip(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}

/** A non-JSON body (an HTML page from a proxy, plain text) as a short, readable snippet. */
function snippetOf(body: string): string {
  return clip(body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '), maxSnippetChars);
}

function fallbackMessage(status: number, body: string): string {
  const snippet = snippetOf(body);
  return snippet === '' ? `HTTP ${status} with an empty body` : `HTTP ${status}: ${snippet}`;
}

/** A non-2xx upstream answer into a kind, retryability and retry delay. */
export function classifyError(status: number, body: string, headers: UpstreamHeaders): UpstreamErrorInfo {
  if (status >= 300 && status < 400) {
    return upstreamErrorOf('server', `upstream answered HTTP ${status}, a redirect, which the gateway never follows`, {
      status,
      code: null,
      param: null,
    });
  }
  const fields = errorFieldsOf(tryParseJson(body));
  const message =
    fields?.message !== undefined && fields.message.trim() !== '' ? clip(fields.message, maxMessageChars) : fallbackMessage(status, body);
  const kind = kindOf(status, fields);
  const info = withContextWindow(
    upstreamErrorOf(kind, message, { status, code: fields?.code ?? null, param: fields?.param ?? null }),
    fields,
  );
  // An exhausted quota does not come back after a few seconds: a retry-after would only mislead.
  const wait = kind === 'rate_limited' && isQuota(fields) ? undefined : retryAfterMs(headers);
  if (wait !== undefined) info.retryAfterMs = wait;
  return info;
}

/**
 * An error reported inside a 2xx answer: an SSE chunk `{"error": ...}` mid-stream, or a 200 body that
 * is an error envelope. Classified like an HTTP error when the payload states a status, else `server`.
 */
export function classifyErrorPayload(payload: unknown): UpstreamErrorInfo {
  const fields = errorFieldsOf(payload);
  const status = fields?.statedStatus;
  const kind: UpstreamErrorKind =
    status !== undefined
      ? kindOf(status, fields)
      : isContentFilter(fields)
        ? 'content_filter'
        : fields?.code === 'context_length_exceeded'
          ? 'context_length'
          : 'server';
  const message =
    fields?.message !== undefined && fields.message.trim() !== ''
      ? clip(fields.message, maxMessageChars)
      : 'upstream reported an error without a message';
  const extra: Omit<UpstreamErrorInfo, 'kind' | 'retryable' | 'message'> = { code: fields?.code ?? null, param: fields?.param ?? null };
  if (status !== undefined) extra.status = status;
  return withContextWindow(upstreamErrorOf(kind, message, extra), fields);
}
