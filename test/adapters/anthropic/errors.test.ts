/**
 * Anthropic's errors into kinds: by the body's `error.type` first, the status behind it, the context
 * length refinement, and the waits from `retry-after` or the `anthropic-ratelimit-*-reset` times.
 */
import { describe, expect, it } from 'vitest';
import { classifyError, classifyStreamError, rateLimitResetMs } from '../../../adapters/anthropic/errors.js';

const body = (type: string, message = 'something') => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' });

describe('classifyError', () => {
  it('maps every documented error type (and its status) to a kind', () => {
    const table: Array<[number, string, string, boolean]> = [
      [400, 'invalid_request_error', 'bad_request', false],
      [401, 'authentication_error', 'auth', true],
      [402, 'billing_error', 'auth', true],
      [403, 'permission_error', 'auth', true],
      [404, 'not_found_error', 'not_found', true],
      [413, 'request_too_large', 'bad_request', false],
      [429, 'rate_limit_error', 'rate_limited', true],
      [500, 'api_error', 'server', true],
      [504, 'timeout_error', 'timeout', true],
      [529, 'overloaded_error', 'overloaded', true],
    ];
    for (const [status, type, kind, retryable] of table) {
      const info = classifyError(status, body(type), {});
      expect(info, type).toMatchObject({ kind, retryable, status, code: type, param: null, message: 'something' });
    }
  });

  it('falls back on the status when the body names no known type (proxies, HTML pages, empty bodies)', () => {
    expect(classifyError(529, '', {})).toMatchObject({ kind: 'overloaded', message: 'HTTP 529 with an empty body', code: null });
    expect(classifyError(503, '<html><h1>Service Unavailable</h1></html>', {})).toMatchObject({
      kind: 'overloaded',
      message: 'HTTP 503: Service Unavailable',
    });
    expect(classifyError(502, 'Bad gateway', {}).kind).toBe('server');
    expect(classifyError(429, body('some_new_error'), {}).kind).toBe('rate_limited');
    expect(classifyError(422, body('some_new_error'), {}).kind).toBe('bad_request');
    // The body's type wins over an odd status.
    expect(classifyError(500, body('overloaded_error'), {}).kind).toBe('overloaded');
  });

  it('reads a prompt that outgrew the window as context_length, with the window it states', () => {
    const info = classifyError(400, body('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'), {});
    expect(info).toMatchObject({ kind: 'context_length', retryable: false, contextWindow: 200000 });
    expect(
      classifyError(400, body('invalid_request_error', 'input length and `max_tokens` exceed context limit: 199000 + 8192 > 200000'), {})
        .kind,
    ).toBe('context_length');
    expect(classifyError(400, body('invalid_request_error', 'messages.1.content: Field required'), {}).kind).toBe('bad_request');
  });

  it('takes the wait from retry-after, else from the reset time of a used-up limit', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(classifyError(429, body('rate_limit_error'), { 'retry-after': '12' }, now).retryAfterMs).toBe(12_000);
    const headers = {
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:05Z',
      'anthropic-ratelimit-tokens-remaining': '0',
      'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:30Z',
      'anthropic-ratelimit-input-tokens-remaining': '1000',
      'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:01:00Z',
    };
    // Both used-up limits must refill: the later reset. A limit with room left does not count.
    expect(classifyError(429, body('rate_limit_error'), headers, now).retryAfterMs).toBe(30_000);
    expect(
      rateLimitResetMs({ 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': 'soon' }, now),
    ).toBeUndefined();
    expect(
      rateLimitResetMs(
        { 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2025-12-31T23:00:00Z' },
        now,
      ),
    ).toBe(0);
    // Reset headers only matter for rate limits; retry-after applies to any status.
    expect(classifyError(529, body('overloaded_error'), headers, now).retryAfterMs).toBeUndefined();
    expect(classifyError(529, body('overloaded_error'), { 'retry-after': '2' }, now).retryAfterMs).toBe(2000);
  });

  it('clips long messages', () => {
    expect(classifyError(400, body('invalid_request_error', 'x'.repeat(2000)), {}).message).toHaveLength(500);
  });
});

describe('classifyStreamError', () => {
  it('classifies the error event of a 200 stream by its type', () => {
    expect(classifyStreamError(body('overloaded_error', 'Overloaded'))).toMatchObject({
      kind: 'overloaded',
      retryable: true,
      message: 'Overloaded',
    });
    expect(classifyStreamError(body('api_error'))).toMatchObject({ kind: 'server' });
    expect(classifyStreamError('not json')).toMatchObject({
      kind: 'server',
      message: 'upstream reported an error in the stream without a message',
    });
    expect(classifyStreamError(JSON.stringify({ type: 'error', error: { type: 'something_new', message: 'hm' } })).kind).toBe('server');
  });
});
