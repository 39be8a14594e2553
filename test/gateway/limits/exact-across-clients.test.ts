// Three replicas (three ioredis clients) share one 100-per-minute limit through Redis: however the
// admissions interleave, the Lua script counts exactly — the limit plus GCRA's drip for the time spent.
import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';

import { RedisStore } from '../../../gateway/limits/redis-store.js';
import type { LimitCheck } from '../../../gateway/limits/store.js';

const prefix = `test:${randomUUID()}:`;
// A generous timeout: this test is about counting, not speed, and 600 scripts queue behind each other.
const stores = [1, 2, 3].map(() => new RedisStore({ keyPrefix: prefix, commandTimeout: 5000 }));

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const raw = new Redis();
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  raw.disconnect();
});

it('admits exactly 100 of 600 concurrent admissions spread over three clients (plus the drip)', async () => {
  await Promise.all(stores.map((s) => s.connect()));
  const check: LimitCheck = { subject: 'key:shared:rpm', rule: { kind: 'rate', limit: 100, periodMs: 60_000 }, amount: 1 };
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 600 }, (_, i) => stores[i % 3]!.admit([check], [], `lease-${i}`)));
  const elapsedMs = performance.now() - started;

  const admitted = results.filter((r) => r.admitted).length;
  // GCRA lets one more unit through per emission interval (600 ms) after the first take.
  const dripAllowance = Math.floor(elapsedMs / 600);
  expect(admitted).toBeGreaterThanOrEqual(100);
  expect(admitted).toBeLessThanOrEqual(100 + dripAllowance);
  for (const refused of results.filter((r) => !r.admitted)) {
    expect(refused.refusal!.subject).toBe('key:shared:rpm');
    expect(refused.refusal!.retryAfterMs).toBeGreaterThan(0);
    expect(refused.refusal!.retryAfterMs).toBeLessThanOrEqual(600);
  }
  // Every client saw the same counter: the states count down without gaps or repeats.
  const remaining = results.filter((r) => r.admitted).map((r) => r.states[0]!.remaining);
  expect(new Set(remaining).size).toBeGreaterThanOrEqual(100);
});
