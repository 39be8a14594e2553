/**
 * The GPU pool against real servers: vllm simulators on ephemeral ports (one serving another model),
 * servers answering 503 on /health or failing their /metrics, a temp file and a local DNS server for
 * discovery. Conditions are polled for with a bound; nothing asserts how long anything takes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGpuPool, type GpuPool, type GpuPoolOptions } from '../../gpu-pool/pool.js';
import { defaultPoolRouting } from '../../gpu-pool/router.js';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { pollUntil } from '../support/poll.js';
import { seededRandom } from '../support/seeded-random.js';
import { startDnsServer } from './dns-server.js';
import { startFakeServer } from './fake-server.js';

let dir: string;
const pools: GpuPool[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sw-gpu-pool-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sim(model = 'llama', port?: number): Promise<RunningSimulator> {
  const s = await startSimulator({ kind: 'vllm', model, ...(port === undefined ? {} : { port }) });
  closers.push(() => s.close());
  return s;
}

const changes: Array<{ url: string; ready: boolean; reason: string | undefined }> = [];

function pool(overrides: Partial<GpuPoolOptions>): GpuPool {
  const p = createGpuPool({
    providerId: 'gpus',
    serverType: 'vllm',
    models: ['llama'],
    transport: { connectTimeoutMs: 1000 },
    scrape: { intervalMs: 250, timeoutMs: 1000 },
    readiness: { intervalMs: 100, timeoutMs: 1000 },
    routing: defaultPoolRouting,
    spill: true,
    onMemberChange: (url, ready, reason) => changes.push({ url, ready, reason }),
    ...overrides,
  });
  pools.push(p);
  p.start();
  return p;
}

const memberState = (p: GpuPool, url: string) => p.state().find((m) => m.url === url);

const longPrompt = (topic: string) => ({
  model: 'llama',
  messages: [
    { role: 'system', content: `You are a careful assistant for ${topic}. `.repeat(40) },
    { role: 'user', content: 'Summarise the above in one line.' },
  ],
});

describe('GPU pool membership', () => {
  it('takes in only ready members, shows their scraped load, and follows a server that goes and comes back', async () => {
    const a = await sim();
    const other = await sim('mistral');
    const loading = await startFakeServer({ health: { status: 503, body: '{"error":{"code":503,"message":"Loading model"}}' } });
    closers.push(() => loading.close());
    const p = pool({ urls: [a.url, other.url, loading.url] });

    expect(p.endpoints.map((e) => e.url)).toEqual([a.url, other.url, loading.url]);
    await pollUntil(() => memberState(p, a.url)?.ready === true, 'the simulator ready');
    await pollUntil(() => memberState(p, loading.url)?.reason?.startsWith('health') === true, 'the loading server probed');
    await pollUntil(() => memberState(p, other.url)?.reason?.startsWith('model') === true, 'the other model probed');
    expect(p.anyHealthy).toBe(true);
    expect(memberState(p, other.url)).toMatchObject({ ready: false, reason: 'model not listed: llama', full: 'not_ready' });
    expect(memberState(p, loading.url)).toMatchObject({ ready: false, reason: 'health 503: Loading model', full: 'not_ready' });

    const state = memberState(p, a.url)!;
    expect(state).toMatchObject({
      ready: true,
      reason: undefined,
      waiting: 0,
      running: 0,
      kvUsage: 0,
      inFlight: 0,
      full: undefined,
      loras: [],
    });
    expect(state.scrapedAgeMs).toBeGreaterThanOrEqual(0);
    expect(p.spill()).toBeUndefined();
    expect(changes).toContainEqual({ url: a.url, ready: true, reason: undefined });

    // Only the ready member is picked, and its in-flight count is the endpoint's own.
    const random = seededRandom(1);
    for (let i = 0; i < 5; i += 1) expect(p.pick(random).url).toBe(a.url);
    const picked = p.pick(random, { body: longPrompt('x'), model: 'llama', session: undefined });
    expect(picked.url).toBe(a.url);
    picked.inFlight += 1;
    expect(memberState(p, a.url)!.inFlight).toBe(1);
    picked.inFlight -= 1;

    // The server goes: the member leaves. It comes back on the same port: the member rejoins.
    const port = a.port;
    await a.close();
    await pollUntil(() => memberState(p, a.url)?.ready === false, 'the member gone');
    expect(p.anyHealthy).toBe(false);
    expect(p.spill()).toBe('not_ready');
    expect(memberState(p, a.url)!.reason).toMatch(/connection refused|connection failed/);
    await sim('llama', port);
    await pollUntil(() => memberState(p, a.url)?.ready === true, 'the member back');
    expect(p.anyHealthy).toBe(true);
  });

  it('reports stale when every member stops answering its /metrics', async () => {
    const one = await startFakeServer();
    const two = await startFakeServer();
    closers.push(
      () => one.close(),
      () => two.close(),
    );
    const p = pool({
      urls: [one.url, two.url],
      routing: { ...defaultPoolRouting, staleMs: 800 },
      scrape: { intervalMs: 250, timeoutMs: 1000, maxFailures: 1000 },
    });
    await pollUntil(() => p.state().every((m) => m.ready), 'both members ready');
    expect(p.spill()).toBeUndefined();
    one.metrics = { status: 500, body: '' };
    await pollUntil(() => memberState(p, one.url)?.full === 'stale', 'the first member stale');
    // One member still fresh: the pool takes work.
    expect(p.spill()).toBeUndefined();
    two.metrics = { status: 500, body: '' };
    await pollUntil(() => p.spill() === 'stale', 'the pool stale');
    expect(p.state().every((m) => m.ready && m.full === 'stale')).toBe(true);
    // Back: fresh again.
    one.metrics = { status: 200, body: 'vllm:num_requests_waiting 0\n' };
    await pollUntil(() => p.spill() === undefined, 'the pool fresh again');
  });
});

describe('GPU pool picks', () => {
  it('asks the router with a hint: the same long prompt goes to the same member', async () => {
    const a = await sim();
    const b = await sim();
    const p = pool({ urls: [a.url, b.url] });
    await pollUntil(() => p.state().every((m) => m.ready), 'both members ready');
    const random = seededRandom(7);
    const hint = { body: longPrompt('billing'), model: 'llama', session: undefined };
    const first = p.pick(random, hint);
    expect(p.lastDecision?.url).toBe(first.url);
    expect(p.lastDecision?.decision?.kind).toBe('pick');
    expect(p.router.indexedBlocks(first.id)).toBeGreaterThan(0);
    expect(p.state().find((m) => m.url === first.url)!.indexedBlocks).toBeGreaterThan(0);
    const second = p.pick(random, hint);
    expect(second).toBe(first);
    expect(p.lastDecision?.decision).toMatchObject({ kind: 'pick', why: 'prefix' });
  });

  it('refuses a pick while discovery has found nothing', () => {
    const p = pool({ discovery: [{ file: join(dir, 'never-written.txt'), interval_ms: 1000 }] });
    expect(p.endpoints).toEqual([]);
    expect(p.anyHealthy).toBe(false);
    expect(() => p.pick(Math.random)).toThrow(/no endpoints/);
  });
});

describe('GPU pool discovery', () => {
  it('follows a watched file: a new endpoints array on each change, members added and removed', async () => {
    const a = await sim();
    const b = await sim();
    const file = join(dir, 'pool.txt');
    await writeFile(file, `${a.url}\n`);
    const p = pool({ discovery: [{ file, interval_ms: 50 }] });
    await pollUntil(() => p.endpoints.length === 1 && p.anyHealthy, 'the first member ready');
    const before = p.endpoints;
    const memberA = before[0]!;

    await writeFile(file, `# both\n${a.url}\n${b.url}\n`);
    await pollUntil(() => p.endpoints.length === 2, 'the second member listed');
    expect(before).toHaveLength(1);
    expect(p.endpoints).not.toBe(before);
    expect(p.endpoints[0]).toBe(memberA);
    await pollUntil(() => p.state().every((m) => m.ready), 'both ready');

    await writeFile(file, `${b.url}\n`);
    await pollUntil(() => p.endpoints.length === 1 && p.endpoints[0]!.url === b.url, 'the first member removed');
    expect(memberA.ready).toBe(false);
    expect(changes).toContainEqual({ url: a.url, ready: false, reason: 'removed by discovery' });
    const random = seededRandom(3);
    expect(p.pick(random).url).toBe(b.url);
  });

  it('finds members through DNS A records', async () => {
    const a = await sim();
    const dns = await startDnsServer({ 'gpus.test': { a: ['127.0.0.1'] } });
    closers.push(() => dns.close());
    const p = pool({ discovery: [{ name: 'gpus.test', port: a.port, interval_ms: 100, servers: [dns.server] }] });
    await pollUntil(() => p.anyHealthy, 'the discovered member ready');
    expect(p.endpoints.map((e) => e.url)).toEqual([`http://127.0.0.1:${a.port}/v1`]);
  });

  it('maps discovered URLs through resolveEndpoint', async () => {
    const a = await sim();
    const p = pool({ urls: ['sim://a'], resolveEndpoint: (url) => (url === 'sim://a' ? a.url : url) });
    await pollUntil(() => p.anyHealthy, 'the resolved member ready');
    expect(p.endpoints.map((e) => e.url)).toEqual([a.url]);
  });
});
