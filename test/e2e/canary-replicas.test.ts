/**
 * A canary across replicas: `switchyard start` processes from one config, sharing a canary's state in
 * Redis (each test under a key prefix of its own on the shared Redis, deleted after it). They serve the
 * same share (and, sticky on the user, the same users the same variant); an operator's rollback on one
 * replica reaches the other within the board's re-read (every half second: the test allows 1.5 s), and
 * a resume on that one reaches the first; the guard of one replica rolling its canary back stops the
 * canary on every replica.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../support/poll.js';
import { startTestGateway } from '../support/gateway.js';
import { deleteKeysUnder, sharedRedisUrl, useSharedRedisPrefix } from '../support/redis-server.js';
import { useReplicas, type Replica } from '../support/replicas.js';

const shared = useSharedRedisPrefix();
const replicas = useReplicas();

const adminKey = 'adm-canary-replicas-0123456789';
const admin = { authorization: `Bearer ${adminKey}` };

function configWith(canary: string): string {
  return `
version: 1
server: { admin_key: ${adminKey} }
simulators:
  stable-sim: { kind: openai, model: m-2024-08-06, ttft_ms: 2, tpot_ms: 0, output_tokens: 4 }
  canary-sim: { kind: openai, model: m-2025-01-01, ttft_ms: 2, tpot_ms: 0, output_tokens: 4 }
providers:
  stable-sim: { type: openai, base_url: sim://stable-sim }
  canary-sim: { type: openai, base_url: sim://canary-sim }
deployments:
  stable: { provider: stable-sim, model: m-2024-08-06 }
  next: { provider: canary-sim, model: m-2025-01-01 }
routes:
  chat:
    targets: [stable]
    canary: ${canary}
redis: { url: "${sharedRedisUrl}", key_prefix: "${shared.prefix()}" }
`;
}

interface Report {
  status: string;
  percent: number;
  reason: string | null;
  cause: string | null;
  shared: boolean;
}

async function report(replica: { url: string }): Promise<Report> {
  const res = await fetch(`${replica.url}/admin/canaries/chat`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

async function act(replica: { url: string }, action: string, reason?: string) {
  const res = await fetch(`${replica.url}/admin/canaries/chat/${action}`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: reason === undefined ? '' : JSON.stringify({ reason }),
  });
  return { status: res.status, body: (await res.json()) as Report };
}

const client = (replica: Replica) => new OpenAI({ baseURL: replica.baseURL, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });

/** The variant that served each user's request, in order (stream for every third). */
async function variants(replica: Replica, users: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const [i, user] of users.entries()) {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    if (i % 3 === 0) {
      const { data, response } = await client(replica)
        .chat.completions.create({ model: 'chat', user, messages, stream: true })
        .withResponse();
      for await (const chunk of data) void chunk;
      out.push(response.headers.get('x-switchyard-variant')!);
    } else {
      const { response } = await client(replica).chat.completions.create({ model: 'chat', user, messages }).withResponse();
      out.push(response.headers.get('x-switchyard-variant')!);
    }
  }
  return out;
}

/** Polls `replica` every 50 ms until its canary's status and share are these; `limitMs` is the bound the feature promises. */
async function until(replica: { url: string }, status: string, percent: number, limitMs: number): Promise<void> {
  await pollUntil(
    async () => {
      const s = await report(replica);
      return s.status === status && s.percent === percent;
    },
    `the replica at ${replica.url} to show ${status} at ${percent} %`,
    { limitMs, everyMs: 50 },
  );
}

const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);

describe('a canary across replicas sharing Redis', () => {
  it('serves the same share on both; a rollback on one reaches the other, and a resume on that one the first', async () => {
    const [a, b] = await replicas.start(2, configWith('{ targets: [next], percent: 50, sticky: user, guard: false }'));
    // With Redis a replica gives the canary nothing until it has read the shared state (its first tick).
    await until(a!, 'running', 50, 10_000);
    await until(b!, 'running', 50, 10_000);
    expect((await report(a!)).shared).toBe(true);
    const onA = await variants(a!, users);
    const onB = await variants(b!, users);
    expect(onB).toEqual(onA);
    expect(onA.filter((v) => v === 'canary').length).toBeGreaterThan(3);
    expect(onA.filter((v) => v === 'stable').length).toBeGreaterThan(3);

    const rolled = await act(a!, 'rollback', 'bad answers in the canary');
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ status: 'rolled_back', percent: 0, cause: 'manual', reason: 'bad answers in the canary' });
    // The board re-reads the shared state every 500 ms: B follows within a second (1.5 s allowed here).
    await until(b!, 'rolled_back', 0, 1500);
    const onBAfter = await report(b!);
    expect(onBAfter).toMatchObject({ cause: 'manual', reason: 'bad answers in the canary' });
    expect(await variants(b!, users)).toEqual(users.map(() => 'stable'));
    expect(await variants(a!, users.slice(0, 10))).toEqual(users.slice(0, 10).map(() => 'stable'));
    const metricsB = await (await fetch(`${b!.url}/metrics`)).text();
    expect(metricsB).toContain('switchyard_canary_percent{route="chat"} 0');
    expect(metricsB).toContain('switchyard_canary_status{route="chat",status="rolled_back"} 1');

    // An action on a state another replica wrote: refused there too, with why.
    const twice = await act(b!, 'rollback');
    expect(twice.status).toBe(409);

    const resumed = await act(b!, 'resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'running', percent: 50 });
    await until(a!, 'running', 50, 1500);
    expect(await variants(a!, users)).toEqual(onA);
    expect(await variants(b!, users)).toEqual(onA);

    // Promote on A, seen on B; then nothing more to promote on B.
    expect((await act(a!, 'promote')).status).toBe(200);
    await until(b!, 'promoted', 100, 1500);
    expect((await act(b!, 'promote')).status).toBe(409);
    expect(await variants(b!, users.slice(0, 6))).toEqual(users.slice(0, 6).map(() => 'canary'));
  });

  it("one replica's guard rolling its canary back stops the canary on the other", async () => {
    const [a, b] = await replicas.start(
      2,
      configWith('{ targets: [next], percent: 50, sticky: none, guard: { window: 30s, interval: 200ms, min_requests: 20 } }'),
    );
    await until(a!, 'running', 50, 10_000);
    await until(b!, 'running', 50, 10_000);
    // Only A's embedded canary simulator fails (each process runs its own simulators).
    const set = await fetch(`${a!.url}/admin/simulators/canary-sim/faults`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ faults: [{ type: 'error', status: 500 }] }),
    });
    expect(set.status).toBe(200);
    let sent = 0;
    let rolledBack = false;
    const errors: string[] = [];
    const watcher = pollUntil(
      async () => (rolledBack = (await report(b!)).status === 'rolled_back'),
      'the rollback decided on A to reach B',
      { limitMs: 15_000, everyMs: 50 },
    );
    const loop = (async () => {
      while (!rolledBack && sent < 1000) {
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            try {
              await client(a!).chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
            } catch (err) {
              errors.push((err as Error).message);
            }
          }),
        );
        sent += 8;
      }
    })();
    try {
      await watcher;
    } finally {
      rolledBack = true;
      await loop;
    }
    expect(errors).toEqual([]);
    const onB = await report(b!);
    expect(onB).toMatchObject({ status: 'rolled_back', percent: 0, cause: 'error_rate' });
    expect(onB.reason).toMatch(/^error rate /);
    expect(await variants(b!, users.slice(0, 10))).toEqual(users.slice(0, 10).map(() => 'stable'));
    // Counted by the replica that decided it, not by the one that followed.
    const metricsA = await (await fetch(`${a!.url}/metrics`)).text();
    const metricsB = await (await fetch(`${b!.url}/metrics`)).text();
    expect(metricsA).toContain('switchyard_canary_rollbacks_total{route="chat",cause="error_rate"} 1');
    expect(metricsB).not.toContain('switchyard_canary_rollbacks_total{route="chat"');
    expect(metricsB).toContain('switchyard_canary_percent{route="chat"} 0');
  });

  it('keeps a rolled-back canary rolled back when Redis loses its state (restart without persistence, eviction, expiry)', async () => {
    // One in-process gateway is enough: it is the replica that knows the canary was rolled back.
    const gw = await startTestGateway(configWith('{ targets: [next], percent: 50, sticky: none, guard: false }'));
    try {
      await until(gw, 'running', 50, 10_000);
      expect((await act(gw, 'rollback')).status).toBe(200);
      // What Redis holds is gone (FLUSHALL, a restart without persistence, maxmemory eviction, the key's expiry).
      await deleteKeysUnder(sharedRedisUrl, shared.prefix());
      // Give the board a few ticks (every 500 ms) to re-read the store.
      await new Promise((r) => setTimeout(r, 1500));
      const s = await report(gw);
      expect(s.status, 'a canary rolled back for a regression must not come back by itself').toBe('rolled_back');
      expect(s.percent).toBe(0);
    } finally {
      await gw.close(1000);
    }
  });
});
