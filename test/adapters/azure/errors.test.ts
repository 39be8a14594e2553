import { describe, expect, it } from 'vitest';
import { classifyError, resetMs } from '../../../adapters/azure/errors.js';

const body = (error: Record<string, unknown>): string => JSON.stringify({ error });

describe('azure classifyError', () => {
  it.each([
    [
      400,
      body({ code: 'content_filter', message: 'filtered', innererror: { code: 'ResponsibleAIPolicyViolation' } }),
      'content_filter',
      false,
    ],
    [400, body({ message: 'filtered', innererror: { code: 'ResponsibleAIPolicyViolation' } }), 'content_filter', false],
    [
      400,
      body({ code: 'context_length_exceeded', message: "This model's maximum context length is 8192 tokens." }),
      'context_length',
      false,
    ],
    [
      400,
      body({ code: 'OperationNotSupported', message: 'The chatCompletion operation does not work with the specified model.' }),
      'bad_request',
      false,
    ],
    [400, body({ code: 'BadRequest', message: 'API version not supported' }), 'bad_request', false],
    [401, body({ code: '401', message: 'Access denied due to invalid subscription key.' }), 'auth', true],
    [403, body({ code: '403', message: 'Traffic is not from an approved private endpoint.' }), 'auth', true],
    [404, body({ code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' }), 'not_found', true],
    [404, body({ code: '404', message: 'Resource not found' }), 'not_found', true],
    [408, body({ code: 'Timeout', message: 'The operation was timeout.' }), 'timeout', true],
    [429, body({ code: '429', message: 'exceeded token rate limit' }), 'rate_limited', true],
    [500, body({ code: 'InternalServerError', message: 'Backend returned unexpected response.' }), 'server', true],
    [503, body({ code: 'ServiceUnavailable', message: 'The service is temporarily unable to process your request.' }), 'overloaded', true],
  ])('%i %s -> %s', (status, text, kind, retryable) => {
    const info = classifyError(status, text, {});
    expect(info.kind).toBe(kind);
    expect(info.retryable).toBe(retryable);
    expect(typeof info.code === 'string' || info.code === null).toBe(true);
  });

  const limited = body({ code: '429', message: 'Requests have exceeded call rate limit. Please retry after 7 seconds.' });

  it('waits retry-after-ms first, then retry-after', () => {
    expect(classifyError(429, limited, { 'retry-after-ms': '1250', 'retry-after': '2' }).retryAfterMs).toBe(1250);
    expect(classifyError(429, limited, { 'retry-after': '2' }).retryAfterMs).toBe(2000);
  });

  it('falls back on the reset header of the exhausted limit', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '40',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '12',
    };
    expect(classifyError(429, limited, headers).retryAfterMs).toBe(12_000);
  });

  it('takes the longer reset when no limit says it is exhausted', () => {
    const headers = { 'x-ratelimit-reset-requests': '250ms', 'x-ratelimit-reset-tokens': '2s' };
    expect(classifyError(429, limited, headers).retryAfterMs).toBe(2000);
  });

  it("falls back on the message's own wait, and on nothing", () => {
    expect(classifyError(429, limited, {}).retryAfterMs).toBe(7000);
    expect(classifyError(429, body({ code: '429', message: 'Too many requests' }), {}).retryAfterMs).toBeUndefined();
  });

  it('does not invent a wait for other kinds', () => {
    expect(classifyError(503, limited, { 'x-ratelimit-reset-tokens': '5s' }).retryAfterMs).toBeUndefined();
  });
});

describe('resetMs', () => {
  it.each([
    ['6', 6000],
    ['0.5', 500],
    ['120ms', 120],
    ['6m0s', 360_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
  ])('%s -> %i', (value, ms) => {
    expect(resetMs(value)).toBe(ms);
  });

  it.each(['', 'soon', '-1', '5 s', 's', undefined])('%s -> undefined', (value) => {
    expect(resetMs(value)).toBeUndefined();
  });
});
