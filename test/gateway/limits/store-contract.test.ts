// One contract, two stores: MemoryStore and RedisStore (real Redis at 127.0.0.1:6379) must answer alike.
// Real time for both, so bounds are generous; exact arithmetic is pinned below with an injected clock.
import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { periodEnd, utcDay, utcMonth } from '../../../gateway/limits/gcra.js';
import { MemoryStore } from '../../../gateway/limits/memory-store.js';
import { RedisStore } from '../../../gateway/limits/redis-store.js';
import type { LimitCheck, LimitStore } from '../../../gateway/limits/store.js';

const MINUTE = 60_000;
const rate = (subject: string, limit: number, amount = 1, periodMs = MINUTE): LimitCheck => ({
  subject,
  rule: { kind: 'rate', limit, periodMs },
  amount,
});
const conc = (subject: string, limit: number, ttlMs = 60_000): LimitCheck => ({
  subject,
  rule: { kind: 'concurrency', limit, ttlMs },
  amount: 1,
});
const budget = (subject: string, limitMicros: number): LimitCheck => ({
  subject,
  rule: { kind: 'budget', limitMicros, periodId: '2026-12-02', periodEndsAt: Date.now() + 3_600_000 },
  amount: 0,
});

async function eventually(probe: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const raw = new Redis({ lazyConnect: true });
const opened: { store: LimitStore; prefix: string }[] = [];
afterEach(async () => {
  for (const { store, prefix } of opened.splice(0)) {
    await store.close();
    if (store.mode === 'redis') {
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length > 0) await raw.del(...keys);
    }
  }
});
afterAll(() => raw.disconnect());

const factories: [string, () => Promise<LimitStore>][] = [
  ['MemoryStore', () => Promise.resolve(new MemoryStore())],
  [
    'RedisStore',
    async () => {
      const store = new RedisStore({ keyPrefix: `test:${randomUUID()}:`, commandTimeout: 2000 });
      await store.connect();
      return store;
    },
  ],
];

describe.each(factories)('%s: the LimitStore contract', (_name, create) => {
  async function open(): Promise<LimitStore> {
    const store = await create();
    opened.push({ store, prefix: store instanceof RedisStore ? (store.client.options.keyPrefix ?? '') : '' });
    return store;
  }
  const admitOne = (store: LimitStore, checks: LimitCheck[], lease: string = randomUUID()) => store.admit(checks, [], lease);

  it('GCRA admits exactly the limit in a burst, then refuses with a sensible retryAfterMs', async () => {
    const store = await open();
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await admitOne(store, [rate('k:rpm', 5)]));
    expect(results.map((r) => r.admitted)).toEqual([true, true, true, true, true, false]);
    const refusal = results[5]!.refusal!;
    expect(refusal.subject).toBe('k:rpm');
    // One emission interval (12 s) minus the little time the burst took.
    expect(refusal.retryAfterMs).toBeGreaterThan(11_000);
    expect(refusal.retryAfterMs).toBeLessThanOrEqual(12_000);
    expect(results[0]!.states).toEqual([{ subject: 'k:rpm', limit: 5, remaining: 4, resetMs: expect.any(Number) }]);
    expect(results[4]!.states[0]!.remaining).toBe(0);
    expect(results[5]!.states[0]!.remaining).toBe(0);
    expect(results[5]!.states[0]!.resetMs).toBeGreaterThan(59_000);
  });

  it('takes token amounts and refuses an amount over the limit with retryAfterMs Infinity', async () => {
    const store = await open();
    expect((await admitOne(store, [rate('k:tpm', 1000, 600)])).states[0]!.remaining).toBe(400);
    const refused = await admitOne(store, [rate('k:tpm', 1000, 500)]);
    expect(refused.admitted).toBe(false);
    // 100 tokens over: 100 x 60 ms.
    expect(refused.refusal!.retryAfterMs).toBeGreaterThan(5_000);
    expect(refused.refusal!.retryAfterMs).toBeLessThanOrEqual(6_000);
    expect((await admitOne(store, [rate('k:tpm', 1000, 400)])).admitted).toBe(true);
    const never = await admitOne(store, [rate('k:other', 1000, 1001)]);
    expect(never).toMatchObject({ admitted: false, refusal: { subject: 'k:other', retryAfterMs: Infinity } });
  });

  it('reconciles a refund and an overdraft; a refund never frees more than a full counter', async () => {
    const store = await open();
    await admitOne(store, [rate('k:tpm', 1000, 900)]);
    store.settle({
      rates: [{ subject: 'k:tpm', rule: { kind: 'rate', limit: 1000, periodMs: MINUTE }, delta: -500 }],
      leases: [],
      spend: [],
    });
    await eventually(async () => (await store.peek([rate('k:tpm', 1000)])).rates[0]!.remaining >= 599);
    expect((await store.peek([rate('k:tpm', 1000)])).rates[0]!.remaining).toBeLessThanOrEqual(610);
    store.settle({
      rates: [{ subject: 'k:tpm', rule: { kind: 'rate', limit: 1000, periodMs: MINUTE }, delta: 900 }],
      leases: [],
      spend: [],
    });
    await eventually(async () => (await store.peek([rate('k:tpm', 1000)])).rates[0]!.remaining === 0);
    // The overdraft put the TAT more than a period ahead: even one token waits.
    expect((await admitOne(store, [rate('k:tpm', 1000, 1)])).refusal!.retryAfterMs).toBeGreaterThan(17_000);
    store.settle({
      rates: [{ subject: 'k:tpm', rule: { kind: 'rate', limit: 1000, periodMs: MINUTE }, delta: -1e6 }],
      leases: [],
      spend: [],
    });
    await eventually(async () => (await store.peek([rate('k:tpm', 1000)])).rates[0]!.resetMs === 0);
    expect((await store.peek([rate('k:tpm', 1000)])).rates[0]!.remaining).toBe(1000);
  });

  it('holds concurrency leases up to the limit, releases by id, and lets a lease lapse after its TTL', async () => {
    const store = await open();
    expect((await admitOne(store, [conc('k:conc', 2)], 'a')).admitted).toBe(true);
    expect((await admitOne(store, [conc('k:conc', 2, 200)], 'b')).admitted).toBe(true);
    const refused = await admitOne(store, [conc('k:conc', 2)], 'c');
    expect(refused.admitted).toBe(false);
    expect(refused.refusal!.retryAfterMs).toBeGreaterThan(0);
    expect(refused.refusal!.retryAfterMs).toBeLessThanOrEqual(200);
    // 'b' lapses after 200 ms without being released.
    await eventually(async () => (await admitOne(store, [conc('k:conc', 2)], 'c')).admitted);
    expect((await admitOne(store, [conc('k:conc', 2)], 'd')).admitted).toBe(false);
    store.settle({ rates: [], leases: [{ subject: 'k:conc', leaseId: 'a' }], spend: [] });
    await eventually(async () => (await admitOne(store, [conc('k:conc', 2)], 'd')).admitted);
  });

  it('renews a lease so that it outlives its first TTL', async () => {
    const store = await open();
    await admitOne(store, [conc('k:conc', 1, 300)], 'a');
    store.renew([{ subject: 'k:conc', leaseId: 'a', ttlMs: 60_000 }]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await admitOne(store, [conc('k:conc', 1)], 'b')).admitted).toBe(false);
  });

  it('refuses a budget once spent >= limit, until the period ends', async () => {
    const store = await open();
    const check = budget('k:budget', 1_000_000);
    expect((await admitOne(store, [check])).admitted).toBe(true);
    store.settle({
      rates: [],
      leases: [],
      spend: [{ subject: 'k:budget', rule: check.rule as LimitCheck['rule'] & { kind: 'budget' }, micros: 999_999 }],
    });
    await eventually(async () => (await store.peek([check])).spentMicros[0] === 999_999);
    expect((await admitOne(store, [check])).admitted).toBe(true);
    store.settle({
      rates: [],
      leases: [],
      spend: [{ subject: 'k:budget', rule: check.rule as LimitCheck['rule'] & { kind: 'budget' }, micros: 1 }],
    });
    await eventually(async () => (await store.peek([check])).spentMicros[0] === 1_000_000);
    const refused = await admitOne(store, [check]);
    expect(refused.refusal!.subject).toBe('k:budget');
    expect(refused.refusal!.retryAfterMs).toBeGreaterThan(3_500_000);
    expect(refused.refusal!.retryAfterMs).toBeLessThanOrEqual(3_600_000);
  });

  it('is all-or-nothing: a refused required check takes nothing from the others', async () => {
    const store = await open();
    await admitOne(store, [rate('k:full', 1)]);
    const refused = await admitOne(store, [rate('k:rpm', 10), conc('k:conc', 1), rate('k:full', 1)], 'lease');
    expect(refused).toMatchObject({ admitted: false, candidate: -1, refusal: { subject: 'k:full' } });
    // States of every required rate check, as they stand.
    expect(refused.states.map((s) => [s.subject, s.remaining])).toEqual([
      ['k:rpm', 10],
      ['k:full', 0],
    ]);
    expect((await store.peek([rate('k:rpm', 10)])).rates[0]!.remaining).toBe(10);
    expect((await admitOne(store, [conc('k:conc', 1)], 'other')).admitted).toBe(true);
  });

  it('takes the first passing candidate group and leaves refused groups untouched', async () => {
    const store = await open();
    await admitOne(store, [rate('d:a', 1)]);
    const groups = [[rate('d:a', 1)], [rate('d:b', 5), conc('d:b:conc', 3)], [rate('d:c', 5)]];
    const taken = await store.admit([rate('k:rpm', 10)], groups, 'lease');
    expect(taken).toMatchObject({ admitted: true, candidate: 1, refusal: undefined });
    expect(taken.states.map((s) => s.remaining)).toEqual([9]);
    const peek = await store.peek([rate('d:a', 1), rate('d:b', 5), rate('d:c', 5)]);
    expect(peek.rates.map((s) => s.remaining)).toEqual([0, 4, 5]);
    // An empty group always passes.
    expect((await store.admit([], [[rate('d:a', 1)], []], 'x')).candidate).toBe(1);
    // Without candidates, admission takes only the required checks.
    expect((await store.admit([rate('k:rpm', 10)], [], 'y')).candidate).toBe(-1);
  });

  it('takes nothing when every candidate group is refused and reports the one that frees soonest', async () => {
    const store = await open();
    await admitOne(store, [rate('d:slow', 1)]); // frees in 60 s
    await admitOne(store, [rate('d:fast', 6)]);
    for (let i = 0; i < 5; i++) await admitOne(store, [rate('d:fast', 6)]); // frees in 10 s
    const groups = [[rate('d:ok', 5), rate('d:slow', 1)], [rate('d:fast', 6)], [rate('d:never', 5, 6)]];
    const refused = await store.admit([rate('k:rpm', 10)], groups, 'lease');
    expect(refused).toMatchObject({ admitted: false, candidate: -1, refusal: { subject: 'd:fast' } });
    expect(refused.refusal!.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(refused.refusal!.retryAfterMs).toBeGreaterThan(9_000);
    const peek = await store.peek([rate('k:rpm', 10), rate('d:ok', 5)]);
    expect(peek.rates.map((s) => s.remaining)).toEqual([10, 5]);
    expect(refused.states).toEqual([{ subject: 'k:rpm', limit: 10, remaining: 10, resetMs: 0 }]);
  });

  it('keeps a usage ledger by UTC day and month', async () => {
    const store = await open();
    const counts = { requests: 1, promptTokens: 100, completionTokens: 20, usdMicros: 1500 };
    const usage = { key: 'team-a', day: '2026-12-02', month: '2026-12', counts };
    store.settle({ rates: [], leases: [], spend: [], usage });
    store.settle({ rates: [], leases: [], spend: [], usage: { ...usage, day: '2026-12-03' } });
    await eventually(async () => (await store.usage('team-a', '2026-12-02', '2026-12')).month.requests === 2);
    expect(await store.usage('team-a', '2026-12-02', '2026-12')).toEqual({
      day: counts,
      month: { requests: 2, promptTokens: 200, completionTokens: 40, usdMicros: 3000 },
    });
    const zero = { requests: 0, promptTokens: 0, completionTokens: 0, usdMicros: 0 };
    expect(await store.usage('team-b', '2026-12-02', '2026-12')).toEqual({ day: zero, month: zero });
  });

  it('peeks without taking', async () => {
    const store = await open();
    await admitOne(store, [rate('k:rpm', 10, 3)]);
    const checks = [rate('k:rpm', 10), conc('k:conc', 1), budget('k:budget', 5), rate('k:fresh', 7)];
    const first = await store.peek(checks);
    const second = await store.peek(checks);
    expect(second.rates.map((s) => [s.subject, s.remaining])).toEqual([
      ['k:rpm', 7],
      ['k:fresh', 7],
    ]);
    expect(first.rates.map((s) => s.remaining)).toEqual(second.rates.map((s) => s.remaining));
    expect(second.spentMicros).toEqual([0]);
    expect(second.rates[0]!.resetMs).toBeGreaterThan(17_000);
    expect(second.rates[0]!.resetMs).toBeLessThanOrEqual(18_000);
  });
});

describe('MemoryStore with an injected clock', () => {
  it('drips one unit per emission interval, exactly', async () => {
    let now = Date.UTC(2026, 11, 2);
    const store = new MemoryStore({ clock: () => now });
    const check = [rate('k', 7)];
    for (let i = 0; i < 7; i++) expect((await store.admit(check, [], 'l')).admitted).toBe(true);
    const refused = await store.admit(check, [], 'l');
    expect(refused.refusal!.retryAfterMs).toBeCloseTo(60_000 / 7, 1);
    now += 60_000 / 7;
    expect((await store.admit(check, [], 'l')).admitted).toBe(true);
    expect((await store.admit(check, [], 'l')).admitted).toBe(false);
  });

  it('enforces limit ÷ share, rounded down and never below 1', async () => {
    const store = new MemoryStore({ share: 3, clock: () => 1_000_000 });
    let admitted = 0;
    for (let i = 0; i < 20; i++) if ((await store.admit([rate('k', 10)], [], 'l')).admitted) admitted++;
    expect(admitted).toBe(3);
    expect((await store.admit([rate('tiny', 2)], [], 'l')).states[0]).toMatchObject({ limit: 1, remaining: 0 });
  });

  it('drops counters that are full again, so memory follows live counters only', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ clock: () => now, sweepEvery: 10 });
    for (let i = 0; i < 9; i++) await store.admit([rate(`k${i}`, 10), conc(`c${i}`, 1, 1000)], [], `l${i}`);
    expect(store.size).toBe(18);
    now += MINUTE;
    await store.admit([], [], 'sweep');
    expect(store.size).toBe(0);
  });
});

describe('calendar helpers', () => {
  it('names UTC days and months and finds where they end', () => {
    const ms = Date.UTC(2026, 11, 31, 23, 59, 59);
    expect(utcDay(ms)).toBe('2026-12-31');
    expect(utcMonth(ms)).toBe('2026-12');
    expect(periodEnd('2026-12-31')).toBe(Date.UTC(2027, 0, 1));
    expect(periodEnd('2026-12')).toBe(Date.UTC(2027, 0, 1));
    expect(periodEnd('2026-02')).toBe(Date.UTC(2026, 2, 1));
    expect(() => periodEnd('December')).toThrow();
  });
});
