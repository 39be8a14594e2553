import { describe, expect, it } from 'vitest';
import { headerValue, retryAfterMs } from '../../../adapters/shared/retry-after.js';

const now = Date.parse('2026-08-21T12:00:00Z');

describe('retryAfterMs', () => {
  it.each([
    ['retry-after seconds', { 'retry-after': '20' }, 20_000],
    ['retry-after zero', { 'retry-after': '0' }, 0],
    ['retry-after with spaces', { 'retry-after': ' 3 ' }, 3_000],
    ['retry-after fractional seconds', { 'retry-after': '1.5' }, 1_500],
    ['retry-after-ms', { 'retry-after-ms': '644' }, 644],
    ['retry-after-ms float rounds up', { 'retry-after-ms': '12.2' }, 13],
    ['retry-after-ms wins over retry-after', { 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    ['garbage retry-after-ms falls back to retry-after', { 'retry-after-ms': 'soon', 'retry-after': '2' }, 2_000],
    ['HTTP date in the future', { 'retry-after': 'Fri, 21 Aug 2026 12:00:30 GMT' }, 30_000],
    ['HTTP date in the past means now', { 'retry-after': 'Fri, 21 Aug 2026 11:59:00 GMT' }, 0],
    ['RFC 850 date', { 'retry-after': 'Friday, 21-Aug-26 12:01:00 GMT' }, 60_000],
    ['negative seconds ignored', { 'retry-after': '-5' }, undefined],
    ['negative ms ignored', { 'retry-after-ms': '-5' }, undefined],
    ['garbage ignored', { 'retry-after': 'later' }, undefined],
    ['numbers in garbage ignored', { 'retry-after': '5 seconds' }, undefined],
    ['empty ignored', { 'retry-after': '' }, undefined],
    ['absent', {}, undefined],
    ['first value of a repeated header', { 'retry-after': ['4', '9'] }, 4_000],
    ['mixed-case header name', { 'Retry-After': '7' }, 7_000],
  ])('%s', (_name, headers, expected) => {
    expect(retryAfterMs(headers, now)).toBe(expected);
  });

  it('headerValue finds names case-insensitively', () => {
    expect(headerValue({ 'X-Thing': 'a' }, 'x-thing')).toBe('a');
    expect(headerValue({}, 'x-thing')).toBeUndefined();
  });
});
