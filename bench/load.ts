/**
 * A bounded closed-loop load generator on undici: `concurrency` workers send `requests` requests in
 * total and read each response to its end. Latency is per request, from send to last byte; for streams
 * also to the first byte of the body.
 */
import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  errors: number;
  wallMs: number;
  latencyMs: number[];
  firstByteMs: number[];
}

export async function runLoad(origin: string, path: string, body: string, requests: number, concurrency: number): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latencyMs: number[] = [];
  const firstByteMs: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests) {
      next += 1;
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
          body,
        });
        let first = true;
        for await (const _chunk of res.body) {
          if (first) {
            firstByteMs.push(performance.now() - t0);
            first = false;
          }
        }
        if (res.statusCode !== 200) errors += 1;
        else latencyMs.push(performance.now() - t0);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - started;
  await pool.close();
  return { requests, errors, wallMs, latencyMs, firstByteMs };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
