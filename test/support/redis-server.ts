/**
 * Redis for tests, for real: a private `redis-server` of one test file (on a free port, no persistence)
 * that a test may stop and continue with signals — SIGSTOP is a faithful hang: the socket stays open
 * and nothing answers — and, for tests that only share counters, a unique key prefix on the shared
 * Redis at 127.0.0.1:6379 whose keys are deleted after each test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';

/** The Redis every developer machine and CI job runs; tests write only under their own prefix. */
export const sharedRedisUrl = 'redis://127.0.0.1:6379';

export interface PrivateRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** SIGSTOP: Redis hangs with its connections open (what a stuck or overloaded Redis looks like). */
  pause(): void;
  /** SIGCONT: it answers again, starting with what was sent while it hung. */
  resume(): void;
  /** Continues it if paused, ends it and waits for the exit. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts `redis-server` on a free loopback port and resolves once it answers PING. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    }
    await exited;
  };
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => 50 });
  probe.on('error', () => {}); // refused until the server listens: expected
  try {
    const deadline = Date.now() + 10_000;
    while ((await probe.ping().catch(() => '')) !== 'PONG') {
      if (!running() || Date.now() > deadline) throw new Error(`redis-server did not answer PING on ${url}:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.disconnect();
  }
  return {
    port,
    url,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop,
  };
}

/**
 * A key prefix of its own on the shared Redis for each test of the calling file (call once at the top
 * of the file): `prefix()` gives the current test's, and every key under it is deleted after the test.
 */
export function useSharedRedisPrefix(): { prefix(): string } {
  let current: string | undefined;
  afterEach(async () => {
    if (current === undefined) return;
    const prefix = current;
    current = undefined;
    await deleteKeysUnder(sharedRedisUrl, prefix);
  });
  return {
    prefix: () => (current ??= `switchyard-test:${randomUUID()}:`),
  };
}

/** Deletes every key that starts with `prefix` (a UUID-based prefix holds no glob characters). */
export async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** How many keys start with `prefix` (tests check their cleanup, and that a run wrote where it should). */
export async function countKeysUnder(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      count += keys.length;
      cursor = next;
    } while (cursor !== '0');
    return count;
  } finally {
    redis.disconnect();
  }
}
