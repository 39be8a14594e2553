/**
 * How long an upstream asks us to wait: `retry-after-ms` (milliseconds, fractions allowed; sent by
 * OpenAI and Azure) wins over `retry-after` (whole seconds, or an HTTP date). Negative numbers and
 * garbage are ignored rather than guessed at; a date in the past means "now" (0).
 */
import type { UpstreamHeaders } from '../types.js';

/** A header's first value, looked up case-insensitively (undici lower-cases, hand-made maps may not). */
export function headerValue(headers: UpstreamHeaders, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : value;
}

const decimal = /^\d+(?:\.\d+)?$/;
// Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with the day's name.
const httpDate = /^[A-Za-z]{3}/;

export function retryAfterMs(headers: UpstreamHeaders, nowMs: number = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms')?.trim();
  if (ms !== undefined && decimal.test(ms)) return Math.ceil(Number(ms));
  const after = headerValue(headers, 'retry-after')?.trim();
  if (after === undefined || after === '') return undefined;
  if (decimal.test(after)) return Math.ceil(Number(after) * 1000);
  if (!httpDate.test(after)) return undefined;
  const at = Date.parse(after);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
