/**
 * Google's error bodies into kinds: the classification table, RetryInfo waits and context windows.
 */
import { describe, expect, it } from 'vitest';
import { classifyError, classifyErrorPayload } from '../../../adapters/gemini/errors.js';

const google = (code: number, status: string, message: string, details?: unknown[]): string =>
  JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });

describe('gemini classifyError', () => {
  it.each([
    [429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', 'rate_limited'],
    [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.', 'overloaded'],
    [504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.', 'timeout'],
    [500, 'INTERNAL', 'An internal error has occurred.', 'server'],
    [400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', 'bad_request'],
    [400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.', 'bad_request'],
    [400, 'INVALID_ARGUMENT', 'The input token count (40000) exceeds the maximum number of tokens allowed (32768).', 'context_length'],
    [400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', 'auth'],
    [403, 'PERMISSION_DENIED', 'The caller does not have permission', 'auth'],
    [401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.', 'auth'],
    [404, 'NOT_FOUND', 'models/x is not found for API version v1beta', 'not_found'],
  ])('%i %s -> %s', (status, name, message, kind) => {
    const info = classifyError(status, google(status, name, message), {});
    expect(info.kind).toBe(kind);
    expect(info.status).toBe(status);
    expect(info.code).toBe(name);
    expect(info.message).toBe(message);
  });

  it('takes the wait from RetryInfo.retryDelay, and prefers a Retry-After header', () => {
    const body = google(429, 'RESOURCE_EXHAUSTED', 'Quota', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }]);
    expect(classifyError(429, body, {}).retryAfterMs).toBe(1500);
    expect(classifyError(429, body, { 'retry-after': '4' }).retryAfterMs).toBe(4000);
  });

  it('states the context window a too-long prompt reports', () => {
    const info = classifyError(
      400,
      google(400, 'INVALID_ARGUMENT', 'The input token count (40000) exceeds the maximum number of tokens allowed (32768).'),
      {},
    );
    expect(info.contextWindow).toBe(32768);
  });

  it('falls back to the HTTP status for bodies that are not Google’s', () => {
    expect(classifyError(502, '<html>Bad Gateway</html>', {})).toMatchObject({ kind: 'server', message: 'HTTP 502: Bad Gateway' });
    expect(classifyError(429, '', {})).toMatchObject({ kind: 'rate_limited', message: 'HTTP 429 with an empty body' });
  });

  it('classifies an error object inside a stream by its own status', () => {
    expect(classifyErrorPayload({ error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } }).kind).toBe('rate_limited');
    expect(classifyErrorPayload([{ error: { code: 500, message: 'boom', status: 'INTERNAL' } }]).kind).toBe('server');
    expect(classifyErrorPayload({ error: { message: 'no status' } }).kind).toBe('server');
  });
});
