// A busy gateway is not a slow Redis: when the event loop is blocked past the command timeout while the
// reply is already on the socket, the admission still gets the reply (regression: ioredis's own
// commandTimeout fired first and sent replicas to their local share, loosening every limit).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { RedisStore } from '../../../gateway/limits/redis-store.js';

const prefix = `test:${randomUUID()}:`;
const store = new RedisStore({ keyPrefix: prefix, commandTimeout: 100 });
const cleanup = new Redis();

afterAll(async () => {
  await store.close();
  const keys = await cleanup.keys(`${prefix}*`);
  if (keys.length > 0) await cleanup.del(...keys);
  await cleanup.quit();
});

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: a gateway serving a burst, a long synchronous JSON parse, a GC pause
  }
}

it('answers an admission whose reply arrived while the event loop was blocked past the command timeout', async () => {
  await store.connect();
  const check = { subject: 'key:busy:rpm', rule: { kind: 'rate' as const, limit: 10, periodMs: 60_000 }, amount: 1 };
  const pending = store.admit([check], [], 'lease');
  blockEventLoop(300);
  const admission = await pending;
  expect(admission.admitted).toBe(true);
  expect(admission.states[0]).toMatchObject({ limit: 10, remaining: 9 });
});
