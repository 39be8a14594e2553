/**
 * Bedrock's errors into one kind. Unlike OpenAI's `{error: {type, code}}`, an AWS restJson1 error is
 * `{message}` (sometimes `Message`, sometimes `__type`) with its name in the `x-amzn-ErrorType` header
 * (`Name:namespace`); clients take the name from the header, else `__type` (after any `#`). The name
 * decides before the status: ModelNotReadyException is a 429 that means "loading", not "too many";
 * ValidationException whose message says the input is too long is a context-length error. Throttling
 * carries no Retry-After (the SDKs back off on their own): a `retry-after` header, when a proxy adds one,
 * is honoured. Exception frames inside a ConverseStream 200 (`:exception-type`, camel-cased names) go
 * through the same table.
 */
import type { UpstreamHeaders } from '../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo, type UpstreamErrorKind } from '../upstream-error.js';
import { isRecord, tryParseJson } from '../shared/json.js';
import { headerValue, retryAfterMs } from '../shared/retry-after.js';
import { contextWindowFromMessage } from '../shared/context-window.js';
import { streamExceptionStatus } from './wire.js';

const maxMessageChars = 500;

/** By exception name (lower-cased first letter: the header's `ThrottlingException`, the frame's `throttlingException`). */
const kindsByName: Readonly<Record<string, UpstreamErrorKind>> = {
  throttlingexception: 'rate_limited',
  servicequotaexceededexception: 'rate_limited',
  modelnotreadyexception: 'overloaded',
  serviceunavailableexception: 'overloaded',
  modeltimeoutexception: 'timeout',
  accessdeniedexception: 'auth',
  unrecognizedclientexception: 'auth',
  invalidsignatureexception: 'auth',
  expiredtokenexception: 'auth',
  incompletesignatureexception: 'auth',
  missingauthenticationtokenexception: 'auth',
  resourcenotfoundexception: 'not_found',
  modelerrorexception: 'server',
  modelstreamerrorexception: 'server',
  internalserverexception: 'server',
  validationexception: 'bad_request',
  conflictexception: 'bad_request',
};

const contextLengthText =
  /input is too long|too many (?:input )?tokens|prompt is too long|exceeds? (?:the )?(?:model'?s? )?(?:maximum )?context|context (?:window|length)|maximum (?:input )?length/i;
const contentFilterText = /content filter|guardrail|blocked by/i;

/** `ThrottlingException:http://internal.amazon.com/coral/...` or `com.amazon.bedrock#ThrottlingException`. */
export function errorNameOf(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const beforeColon = raw.split(':')[0]!;
  return beforeColon.slice(beforeColon.lastIndexOf('#') + 1).trim();
}

function kindOfStatus(status: number): UpstreamErrorKind {
  switch (status) {
    case 429:
      return 'rate_limited';
    case 503:
      return 'overloaded';
    case 408:
    case 504:
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

function clip(text: string): string {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  return trimmed.length <= maxMessageChars ? trimmed : `${trimmed.slice(0, maxMessageChars - 1)}…`;
}

/** The kind for an exception name (if known) and status, refined by the message. */
export function kindOf(name: string | undefined, status: number, message: string): UpstreamErrorKind {
  const byName = name === undefined ? undefined : kindsByName[name.toLowerCase()];
  const kind = byName ?? kindOfStatus(status);
  if (kind === 'bad_request' && contextLengthText.test(message)) return 'context_length';
  if (kind === 'bad_request' && contentFilterText.test(message)) return 'content_filter';
  return kind;
}

function info(kind: UpstreamErrorKind, status: number, message: string, name: string | undefined): UpstreamErrorInfo {
  const out = upstreamErrorOf(kind, message, { status, code: name ?? null, param: null });
  if (kind === 'context_length') {
    const window = contextWindowFromMessage(message);
    if (window !== undefined) out.contextWindow = window;
  }
  return out;
}

/** A non-2xx Bedrock answer into a kind, retryability and retry delay. */
export function classifyError(status: number, body: string, headers: UpstreamHeaders): UpstreamErrorInfo {
  const parsed = tryParseJson(body);
  const doc = isRecord(parsed) ? parsed : undefined;
  const stated = doc?.['message'] ?? doc?.['Message'];
  const name =
    errorNameOf(headerValue(headers, 'x-amzn-errortype')) ?? errorNameOf(typeof doc?.['__type'] === 'string' ? doc['__type'] : undefined);
  const text = typeof stated === 'string' && stated.trim() !== '' ? stated : body.trim();
  const message = text === '' ? `HTTP ${status}${name ? ` ${name}` : ''} with an empty body` : clip(text.replace(/<[^>]*>/g, ' '));
  const kind = status >= 300 && status < 400 ? 'server' : kindOf(name, status, message);
  const out = info(kind, status, message, name);
  const wait = retryAfterMs(headers);
  if (wait !== undefined) out.retryAfterMs = wait;
  return out;
}

/** An exception frame inside a ConverseStream 200: `:exception-type` and its JSON `{message}`. */
export function classifyStreamException(exceptionType: string, payload: string): UpstreamErrorInfo {
  const parsed = tryParseJson(payload);
  const doc = isRecord(parsed) ? parsed : undefined;
  const stated = doc?.['message'] ?? doc?.['Message'];
  const original = doc?.['originalMessage'];
  let message = typeof stated === 'string' && stated.trim() !== '' ? clip(stated) : `Bedrock stream exception ${exceptionType}`;
  if (typeof original === 'string' && original !== '' && !message.includes(original)) message = clip(`${message} (${original})`);
  const status = streamExceptionStatus[exceptionType] ?? 500;
  return info(kindOf(exceptionType, status, message), status, message, exceptionType);
}
