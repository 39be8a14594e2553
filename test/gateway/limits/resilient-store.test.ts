// The fallback behaviour against a Redis of our own (never the shared one at 6379): SIGSTOP gives a
// faithful hang (the socket stays open, nothing answers), SIGCONT brings it back.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';

import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';

import { RedisStore } from '../../../gateway/limits/redis-store.js';
import { ResilientStore, type ResilientStoreOptions } from '../../../gateway/limits/resilient-store.js';
import { LimitsUnavailable, type LimitCheck, type StoreMode } from '../../../gateway/limits/store.js';

let server: ChildProcess;
let url: string;
const closers: (() => Promise<void>)[] = [];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => {}); // refused until the server listens: expected
  await eventually(async () => (await probe.ping().catch(() => '')) === 'PONG');
  probe.disconnect();
});

afterEach(async () => {
  server.kill('SIGCONT');
  for (const close of closers.splice(0)) await close();
});

afterAll(async () => {
  server.kill('SIGCONT');
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
});

async function open(options: ResilientStoreOptions, modes: StoreMode[] = [], keyPrefix = `test:${randomUUID()}:`): Promise<ResilientStore> {
  const redis = new RedisStore({ url, keyPrefix, commandTimeout: 100 });
  await redis.connect();
  const store = new ResilientStore(redis, { recheckMs: 100, ...options, onModeChange: (mode) => modes.push(mode) });
  closers.push(() => store.close());
  return store;
}

const rpm = (subject: string, limit: number): LimitCheck => ({ subject, rule: { kind: 'rate', limit, periodMs: 60_000 }, amount: 1 });

/** Runs an admission and returns how long it took; the behaviour under test is "never hangs". */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T | Error; ms: number }> {
  const started = performance.now();
  const value = await work().catch((error: Error) => error);
  return { value, ms: performance.now() - started };
}

it('falls back at once to limit ÷ replicas when Redis hangs, and returns to Redis by itself', async () => {
  const modes: StoreMode[] = [];
  const store = await open({ replicas: 2 }, modes);
  expect((await store.admit([rpm('key:a:rpm', 10)], [], 'l0')).admitted).toBe(true);
  expect(store.mode).toBe('redis');

  server.kill('SIGSTOP');
  let admitted = 0;
  for (let i = 0; i < 10; i++) {
    const { value, ms } = await timed(() => store.admit([rpm('key:b:rpm', 10)], [], `l${i}`));
    expect(ms).toBeLessThan(1000);
    if (!(value instanceof Error) && value.admitted) admitted++;
  }
  expect(store.mode).toBe('fallback_open');
  // This replica's share of 10 with two replicas.
  expect(admitted).toBe(5);

  server.kill('SIGCONT');
  await eventually(() => store.mode === 'redis');
  expect(modes).toEqual(['fallback_open', 'redis']);
  // Back on the shared counter, which still holds the admission taken before the outage.
  const after = await store.admit([rpm('key:a:rpm', 10)], [], 'l-after');
  expect(after.states[0]!.remaining).toBe(8);
});

it('refuses with LimitsUnavailable while Redis is out when set to fail closed', async () => {
  const modes: StoreMode[] = [];
  const store = await open({ replicas: 1, unavailable: 'fail_closed' }, modes);
  server.kill('SIGSTOP');
  for (let i = 0; i < 3; i++) {
    const { value, ms } = await timed(() => store.admit([rpm('key:a:rpm', 10)], [], `l${i}`));
    expect(ms).toBeLessThan(1000);
    expect(value).toBeInstanceOf(LimitsUnavailable);
  }
  expect(store.mode).toBe('fallback_closed');
  server.kill('SIGCONT');
  await eventually(() => store.mode === 'redis');
  expect((await store.admit([rpm('key:a:rpm', 10)], [], 'l-after')).admitted).toBe(true);
  expect(modes).toEqual(['fallback_closed', 'redis']);
});

it('observes the number of live replicas through heartbeats', async () => {
  const prefix = `test:${randomUUID()}:`;
  const first = await open({ heartbeatMs: 100 }, [], prefix);
  expect(first.replicas).toBe(1);
  const second = await open({ heartbeatMs: 100 }, [], prefix);
  await eventually(() => first.replicas === 2 && second.replicas === 2);
  // A replica that stops beating stops counting after three missed beats.
  await second.close();
  await eventually(() => first.replicas === 1);
});

it('lets a lease held by a dead replica lapse after its TTL', async () => {
  const keyPrefix = `test:${randomUUID()}:`;
  const lease: LimitCheck = { subject: 'deployment:d:concurrency', rule: { kind: 'concurrency', limit: 1, ttlMs: 300 }, amount: 1 };
  const dying = new RedisStore({ url, keyPrefix });
  const survivor = new RedisStore({ url, keyPrefix });
  closers.push(() => survivor.close());
  await Promise.all([dying.connect(), survivor.connect()]);
  expect((await dying.admit([lease], [], 'dying-lease')).admitted).toBe(true);
  dying.client.disconnect(); // gone without releasing
  const refused = await survivor.admit([lease], [], 'survivor-lease');
  expect(refused.admitted).toBe(false);
  expect(refused.refusal!.retryAfterMs).toBeLessThanOrEqual(300);
  await eventually(async () => (await survivor.admit([lease], [], 'survivor-lease')).admitted, 2000);
});
