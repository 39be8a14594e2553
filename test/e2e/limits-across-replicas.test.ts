/**
 * Limits across replicas, on real processes and a real Redis (the single-process behaviour is
 * test/e2e/keys-and-limits.test.ts): `switchyard start` processes from one config count a key's rpm and
 * tpm together in the shared Redis (each test under a key prefix of its own, deleted after it); a
 * Redis that hangs (SIGSTOP on a private redis-server) hangs no request — each replica enforces its
 * share (fail_open) or answers 503 (fail_closed) — and is used again once it answers; a replica killed
 * mid-request leaves its concurrency lease to lapse at its TTL (`redis.lease_ttl_ms`), not to leak.
 *
 * The rate bounds below are GCRA's, with no float slack: for rpm 100 and tpm 1000 a unit moves the TAT
 * by exactly 600 000 µs and 60 000 µs, and an admission is refused once the TAT would pass now + one
 * minute, so over an interval of `elapsed` at most limit x (1 + elapsed / 1 min) units are taken.
 */
import OpenAI, { APIError, RateLimitError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../support/poll.js';
import { startPrivateRedis, sharedRedisUrl, useSharedRedisPrefix, type PrivateRedis } from '../support/redis-server.js';
import { useReplicas, type Replica } from '../support/replicas.js';

const shared = useSharedRedisPrefix();
const replicas = useReplicas();

const adminKey = 'adm-replicas-0123456789';
const env = {
  RPM_KEY: 'sk-rpm-0123456789',
  TOKENS_KEY: 'sk-tokens-0123456789',
  LOAD_KEY: 'sk-load-0123456789',
  SHARE_KEY: 'sk-share-0123456789',
  UNLIMITED_KEY: 'sk-unlimited-0123456789',
  ONE_KEY: 'sk-one-at-a-time-0123',
};
const messages = [{ role: 'user' as const, content: 'hi' }];

/** One config for every test: the keys differ by their limits, `redis` by the test. */
function configWith(redis: string): string {
  return `
version: 1
server: { admin_key: ${adminKey} }
simulators:
  fast: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  tokens: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 50 }
  slow: { kind: openai, model: m, ttft_ms: 20000, tpot_ms: 0, output_tokens: 4 }
providers:
  fast: { type: openai, base_url: sim://fast }
  tokens: { type: openai, base_url: sim://tokens }
  slow: { type: openai, base_url: sim://slow }
deployments:
  fast: { provider: fast, model: m, allow_floating: true }
  tokens: { provider: tokens, model: m, allow_floating: true }
  slow: { provider: slow, model: m, allow_floating: true }
routes:
  chat: { targets: [fast] }
  tokens: { targets: [tokens] }
  slow: { targets: [slow] }
keys:
  - { name: rpm, key: "\${RPM_KEY}", limits: { rpm: 100 } }
  - { name: tokens, key: "\${TOKENS_KEY}", limits: { tpm: 1000 } }
  - { name: load, key: "\${LOAD_KEY}", limits: { rpm: 1000000 } }
  - { name: share, key: "\${SHARE_KEY}", limits: { rpm: 20 } }
  - { name: unlimited, key: "\${UNLIMITED_KEY}" }
  - { name: one-at-a-time, key: "\${ONE_KEY}", limits: { max_concurrency: 1 } }
redis: ${redis}
`;
}

/**
 * The shared Redis under this test's prefix, with the default command timeout (100 ms): a replica busy
 * with a burst on two cores still reads a reply Redis sent at once (redis-store.ts: withDeadline), so
 * no replica falls back to a local share, which `expectNoFallback` checks.
 */
const sharedRedis = (extra = '') => `{ url: "${sharedRedisUrl}", key_prefix: "${shared.prefix()}"${extra ? `, ${extra}` : ''} }`;

const client = (replica: Replica, apiKey: string) => new OpenAI({ baseURL: replica.baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

/** What became of a request: admitted (answered), or the error the SDK threw. */
async function outcome(request: Promise<unknown>): Promise<'admitted' | Error> {
  return request.then(
    () => 'admitted' as const,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
}

/** The outcomes that are not 429 rate_limit_exceeded, as text (empty when all refusals are). */
const otherThanRateLimited = (outcomes: readonly ('admitted' | Error)[]): string[] =>
  outcomes
    .filter((o): o is Error => o !== 'admitted' && !(o instanceof RateLimitError && o.code === 'rate_limit_exceeded'))
    .map((e) => `${e.name}: ${e.message}`);

async function ready(replica: Replica): Promise<{ status: string; limits: string }> {
  return (await (await fetch(`${replica.url}/health/ready`)).json()) as { status: string; limits: string };
}

async function metrics(replica: Replica): Promise<string> {
  return (await fetch(`${replica.url}/metrics`)).text();
}

/** The embedded simulator's counters, through the admin API (the simulator's port is the process's). */
async function simStats(replica: Replica, sim: string): Promise<{ inFlight: number; byOperation: { chat: number } }> {
  const res = await fetch(`${replica.url}/admin/simulators/${sim}/stats`, { headers: { authorization: `Bearer ${adminKey}` } });
  return (await res.json()) as { inFlight: number; byOperation: { chat: number } };
}

/**
 * The replica logs an error each time it gives Redis up for a local share; under a burst none may
 * have, or the shared count is not what was measured. Checked before the counts, so that such a run
 * says why (Redis answers in well under a millisecond here: a fallback in these tests means a
 * replica's own event loop held a reply past the command timeout).
 */
function expectNoFallback(gws: readonly Replica[]): void {
  for (const [i, gw] of gws.entries()) {
    expect(gw.process.output(), `replica ${i} fell back to its local share during the burst`).not.toContain('Redis is unavailable');
  }
}

/** The replicas' environment for bursts: their 429s are not logged (hundreds of lines on two cores). */
const quiet = { ...env, LOG_LEVEL: 'error' };

/**
 * A few requests per replica through the limiter (a key whose limit is far away) before a burst: a
 * fresh process compiles and loads on its first requests, and the burst should measure the counting.
 */
async function warmUp(gws: readonly Replica[]): Promise<void> {
  for (const gw of gws) {
    const c = client(gw, env.LOAD_KEY);
    for (let i = 0; i < 5; i++) await c.chat.completions.create({ model: 'chat', messages, stream: i % 2 === 0 });
    const reset = await fetch(`${gw.url}/admin/simulators/fast/stats`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(reset.status).toBe(200);
  }
}

describe('limits shared through Redis by three replicas', () => {
  it('admits a key its rpm once between them: 600 concurrent requests round-robin, 100 admitted plus the drip', async () => {
    const gws = await replicas.start(3, configWith(sharedRedis()), quiet);
    for (const gw of gws) expect((await ready(gw)).limits).toBe('redis');
    await warmUp(gws);
    const clients = gws.map((gw) => client(gw, env.RPM_KEY));

    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 600 }, (_, i) => outcome(clients[i % 3]!.chat.completions.create({ model: 'chat', messages }))),
    );
    const elapsedMs = performance.now() - started;

    expectNoFallback(gws);
    const admitted = outcomes.filter((o) => o === 'admitted').length;
    // The first 100 always fit a fresh counter; after them one more each 600 ms (+1: the test's clock
    // and Redis's TIME are read at different moments).
    expect(admitted).toBeGreaterThanOrEqual(100);
    expect(admitted).toBeLessThanOrEqual(100 + Math.floor(elapsedMs / 600) + 1);
    expect(otherThanRateLimited(outcomes)).toEqual([]);
    // Only admitted requests went upstream, and every replica admitted some: the count is one, shared.
    const upstream = await Promise.all(gws.map(async (gw) => (await simStats(gw, 'fast')).byOperation.chat));
    expect(upstream.reduce((a, b) => a + b, 0)).toBe(admitted);
    for (const [i, count] of upstream.entries()) expect(count, `replica ${i} answered some`).toBeGreaterThan(0);
  }, 60_000);

  /*
   * tpm with streamed answers that use far less than they reserve: each request reserves its prompt
   * estimate (a sure minimum) + max_tokens 200, and the `tokens` simulator answers 50 tokens. What is
   * exactly provable, for the T = 1000 tokens a minute shared by all replicas, over the measured
   * `elapsed` (tpm 1000 moves the TAT by exactly 60 000 µs a token: no rounding):
   *
   * 1. Served tokens: sum(usage of admitted streams) <= T x (1 + elapsed / 1 min). The TAT moves up by
   *    the reservation R at each admission and down by R - used at each settlement (a refund never moves
   *    it before now: that only forfeits credit), and lies within one minute of now after every
   *    admission. So at the last admission, T x (1 + elapsed / 1 min) >= the settled requests' usage + the
   *    unsettled ones' reservations >= everyone's usage, since each used <= max_tokens <= R (checked).
   *    With ~51 tokens an answer the limit binds on what was served, so a refund of more than was
   *    unused (say, the whole reservation) would break this bound.
   * 2. Reconciliation gave tokens back: without it every admission keeps R >= max_tokens, and the same
   *    bound caps the admissions at floor(T x (1 + elapsed / 1 min) / max_tokens), 5 for a short run.
   *    Requests run in a few sequential lanes, so most are admitted after earlier ones have settled:
   *    about (T - R) / used + 1 = 16 are. (How many exactly depends on when settlements land: only
   *    "more than without reconciliation" is asserted.)
   */
  it('reconciles streamed tpm reservations with the real usage, across replicas, and never serves more than the limit', async () => {
    const tpm = 1000;
    const maxTokens = 200;
    const lanesPerReplica = 2;
    const requestsPerLane = 25;
    const gws = await replicas.start(3, configWith(sharedRedis()), quiet);
    await warmUp(gws);
    const served: number[] = [];
    const outcomes: ('admitted' | Error)[] = [];

    const lane = async (gw: Replica) => {
      const c = client(gw, env.TOKENS_KEY);
      for (let i = 0; i < requestsPerLane; i++) {
        const o = await outcome(
          (async () => {
            const stream = await c.chat.completions.create({
              model: 'tokens',
              messages,
              max_tokens: maxTokens,
              stream: true,
              stream_options: { include_usage: true },
            });
            let total: number | undefined;
            for await (const chunk of stream) if (chunk.usage) total = chunk.usage.total_tokens;
            if (total === undefined) throw new Error('an admitted stream ended without its usage chunk');
            served.push(total);
          })(),
        );
        outcomes.push(o);
      }
    };
    const started = performance.now();
    await Promise.all(gws.flatMap((gw) => Array.from({ length: lanesPerReplica }, () => lane(gw))));
    const elapsedMs = performance.now() - started;

    expectNoFallback(gws);
    expect(otherThanRateLimited(outcomes)).toEqual([]);
    const admitted = outcomes.filter((o) => o === 'admitted').length;
    expect(served).toHaveLength(admitted);
    for (const used of served) expect(used).toBeLessThanOrEqual(maxTokens);
    // +1: the test's clock and Redis's TIME are read at different moments.
    const allowance = tpm + Math.floor((tpm * elapsedMs) / 60_000) + 1;
    expect(served.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(allowance);
    expect(admitted).toBeGreaterThan(Math.floor(allowance / maxTokens));
    expect(admitted).toBeLessThan(outcomes.length); // the limit did refuse some
  }, 60_000);

  /*
   * redis.lease_ttl_ms shortens the lease TTL from its 60 s default to 4 s (renewed every third of it
   * while the request runs). A's request outlives one TTL first, so the lease B sees after the kill
   * is a renewed one; once A stops renewing, the lease lapses within the TTL and B admits the key.
   */
  it("keeps a killed replica's concurrency lease until its TTL: the other replica refuses the key meanwhile, then admits it", async () => {
    const leaseTtlMs = 4000;
    const [a, b] = await replicas.start(2, configWith(sharedRedis(`lease_ttl_ms: ${leaseTtlMs}`)), env);
    const askB = () => outcome(client(b!, env.ONE_KEY).chat.completions.create({ model: 'chat', messages }));
    const held = outcome(client(a!, env.ONE_KEY).chat.completions.create({ model: 'slow', messages }));
    await pollUntil(async () => (await simStats(a!, 'slow')).inFlight === 1, "replica A's request upstream");
    await new Promise((resolve) => setTimeout(resolve, leaseTtlMs + 500));
    expect(await askB(), 'a running request keeps its lease past one TTL').toBeInstanceOf(RateLimitError);

    await a!.kill();
    expect(await held).toBeInstanceOf(APIError); // the connection died with the replica
    const refused = await askB();
    expect(refused).toBeInstanceOf(RateLimitError);
    const err = refused as RateLimitError;
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toContain("key 'one-at-a-time': 1 requests at once");
    const retryAfterMs = Number(err.headers.get('retry-after-ms'));
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(leaseTtlMs);
    expect((await simStats(b!, 'fast')).byOperation.chat).toBe(0);

    // The promised bound is the TTL; the rest absorbs a loaded machine.
    await pollUntil(async () => (await askB()) === 'admitted', "the dead replica's lease to lapse", {
      limitMs: leaseTtlMs + 6000,
      everyMs: 200,
    });
    expect((await simStats(b!, 'fast')).byOperation.chat).toBe(1);
  }, 60_000);
});

describe('a Redis that hangs (SIGSTOP), under two replicas', () => {
  let redis: PrivateRedis;
  let test = 0;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterEach(() => redis.resume());
  afterAll(async () => {
    await redis?.stop();
  });

  /** The private Redis, under a prefix of this test's (the server and its keys go at the end of the file). */
  const privateRedis = (unavailable: 'fail_open' | 'fail_closed') =>
    `{ url: "${redis.url}", unavailable: ${unavailable}, replicas: 2, key_prefix: "t${++test}:" }`;

  /** Runs `ask` in `lanes` loops per replica until stopped, timing every request. */
  function load(gws: readonly Replica[], ask: (gw: Replica) => Promise<unknown>, lanes = 2) {
    const results: { startedAt: number; ms: number; outcome: 'admitted' | Error }[] = [];
    let running = true;
    const loops = gws.flatMap((gw) =>
      Array.from({ length: lanes }, async () => {
        while (running) {
          const startedAt = performance.now();
          const o = await outcome(ask(gw));
          results.push({ startedAt, ms: performance.now() - startedAt, outcome: o });
          await new Promise((r) => setTimeout(r, 10));
        }
      }),
    );
    return {
      results,
      stop: async () => {
        running = false;
        await Promise.all(loops);
        return results;
      },
    };
  }

  it('fail_open: answers on at once, each replica enforcing half the limit, says so, and returns to Redis when it answers', async () => {
    const gws = await replicas.start(2, configWith(privateRedis('fail_open')), env);
    const traffic = load(gws, (gw) => client(gw, env.LOAD_KEY).chat.completions.create({ model: 'chat', messages }));
    await pollUntil(() => traffic.results.length >= 10, 'load on Redis');
    for (const gw of gws) expect((await ready(gw)).limits).toBe('redis');

    redis.pause();
    const pausedAt = performance.now();
    for (const gw of gws) await pollUntil(async () => (await ready(gw)).limits === 'fallback_open', 'the fallback');
    for (const gw of gws) expect(await metrics(gw)).toContain('switchyard_limits_store{mode="fallback_open"} 1');

    // The share key (rpm 20) never met Redis: each replica's local share of it is 20 / 2 = 10, and the
    // local counter refills one each 6 s.
    for (const gw of gws) {
      const c = client(gw, env.SHARE_KEY);
      const started = performance.now();
      const outcomes = await Promise.all(Array.from({ length: 15 }, () => outcome(c.chat.completions.create({ model: 'chat', messages }))));
      const elapsedMs = performance.now() - started;
      const admitted = outcomes.filter((o) => o === 'admitted').length;
      expect(admitted).toBeGreaterThanOrEqual(10);
      expect(admitted).toBeLessThanOrEqual(10 + Math.floor(elapsedMs / 6000));
      expect(otherThanRateLimited(outcomes)).toEqual([]);
    }

    const results = await traffic.stop();
    expect(results.filter((r) => r.startedAt > pausedAt).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.outcome !== 'admitted').map((r) => String(r.outcome))).toEqual([]);
    // The behaviour is "no hang": a request waits at most one command timeout (100 ms) for Redis, while
    // the simulator answers in a few ms; 2 s only absorbs a loaded machine.
    const slowest = Math.max(...results.map((r) => r.ms));
    expect(slowest).toBeLessThan(2000);

    redis.resume();
    // The promised bound: a ping each second finds Redis again, and the client reconnects within 1 s.
    for (const gw of gws)
      await pollUntil(async () => (await ready(gw)).limits === 'redis', 'Redis again', { limitMs: 10_000, everyMs: 100 });
    for (const gw of gws) expect(await metrics(gw)).toContain('switchyard_limits_store{mode="redis"} 1');
  }, 60_000);

  it('fail_closed: answers a limited key 503 limits_unavailable at once, serves a key without limits, and serves again after', async () => {
    const gws = await replicas.start(2, configWith(privateRedis('fail_closed')), env);
    const ask = (gw: Replica, key: string) => outcome(client(gw, key).chat.completions.create({ model: 'chat', messages }));
    for (const gw of gws) expect(await ask(gw, env.LOAD_KEY)).toBe('admitted');

    redis.pause();
    for (const gw of gws) {
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const refused = await ask(gw, env.LOAD_KEY);
        // "At once": at most one command timeout (100 ms) for Redis; 2 s only absorbs a loaded machine.
        expect(performance.now() - started).toBeLessThan(2000);
        expect(refused).toBeInstanceOf(APIError);
        expect((refused as APIError).status).toBe(503);
        expect((refused as APIError).code).toBe('limits_unavailable');
      }
      expect((await ready(gw)).limits).toBe('fallback_closed');
      expect(await metrics(gw)).toContain('switchyard_limits_store{mode="fallback_closed"} 1');
      // A key without limits needs no store at all.
      expect(await ask(gw, env.UNLIMITED_KEY)).toBe('admitted');
    }

    redis.resume();
    // The promised bound, as above.
    for (const gw of gws)
      await pollUntil(async () => (await ready(gw)).limits === 'redis', 'Redis again', { limitMs: 10_000, everyMs: 100 });
    for (const gw of gws) expect(await ask(gw, env.LOAD_KEY)).toBe('admitted');
  }, 60_000);
});
