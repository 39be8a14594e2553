/**
 * Scraping real servers: the vllm simulator's /metrics into a PoolMember, a failing metrics page
 * (the old load stays, the member is lost after three failures in a row), a server that goes away
 * (lost at the first refused connection).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeOnce, startScraper } from '../../gpu-pool/scraper.js';
import type { PoolMember } from '../../gpu-pool/types.js';
import { createTransport, type Transport } from '../../upstream/transport.js';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { pollUntil } from '../support/poll.js';
import { startFakeServer, vllmMetrics } from './fake-server.js';

let sim: RunningSimulator;
const transports: Transport[] = [];

function control(baseUrl: string): Transport {
  const t = createTransport(new URL(baseUrl).origin, { connectTimeoutMs: 1000 });
  transports.push(t);
  return t;
}

function member(id: string): PoolMember {
  return { id, ready: true, load: undefined, scrapedAt: -Infinity, inFlight: 0 };
}

beforeAll(async () => {
  sim = await startSimulator({ kind: 'vllm', model: 'llama' });
});
afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await sim.close();
});

describe('scraping', () => {
  it("reads the simulator's /metrics at the server root", async () => {
    const r = await scrapeOnce(control(sim.url), sim.url, { serverType: 'vllm', timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.load.waiting).toBe(0);
      expect(r.load.running).toBe(0);
      expect(r.load.kvUsage).toBe(0);
    }
    expect(sim.recentRequests().some((q) => q.path === '/metrics')).toBe(true);
  });

  it('writes each scrape into the member and tells the router', async () => {
    const m = member(sim.url);
    const told: PoolMember[] = [];
    let clock = 100;
    const stop = startScraper(
      m,
      control(sim.url),
      sim.url,
      { scraped: (x) => told.push(x) },
      { serverType: 'vllm', timeoutMs: 2000, intervalMs: 250, now: () => (clock += 1) },
      { onLost: () => undefined },
    );
    try {
      await pollUntil(() => told.length >= 2, 'two scrapes');
      expect(told[0]).toBe(m);
      expect(m.load?.waiting).toBe(0);
      expect(m.scrapedAt).toBeGreaterThan(100);
    } finally {
      stop();
    }
  });

  it('keeps the old load on failed scrapes and reports the member lost after three in a row', async () => {
    const server = await startFakeServer({ metrics: { status: 200, body: vllmMetrics(3, 2, 0.5) } });
    const m = member(server.url);
    const outcomes: boolean[] = [];
    let lost: string | undefined;
    const stop = startScraper(
      m,
      control(server.url),
      server.url,
      { scraped: () => undefined },
      { serverType: 'vllm', timeoutMs: 2000, intervalMs: 250, now: () => performance.now() },
      { onScrape: (r) => outcomes.push(r.ok), onLost: (reason) => (lost = reason) },
    );
    try {
      await pollUntil(() => m.load !== undefined, 'the first scrape');
      expect(m.load).toMatchObject({ waiting: 3, running: 2, kvUsage: 0.5 });
      const at = m.scrapedAt;
      server.metrics = { status: 500, body: 'boom' };
      await pollUntil(() => lost !== undefined, 'the member lost');
      expect(lost).toBe('metrics 500 (3 scrapes in a row)');
      expect(outcomes.slice(-3)).toEqual([false, false, false]);
      expect(m.load).toMatchObject({ waiting: 3 });
      expect(m.scrapedAt).toBe(at);
    } finally {
      stop();
      await server.close();
    }
  });

  it('reports the member lost at once when its server refuses the connection', async () => {
    const server = await startFakeServer();
    const m = member(server.url);
    let lost: string | undefined;
    const stop = startScraper(
      m,
      control(server.url),
      server.url,
      { scraped: () => undefined },
      { serverType: 'vllm', timeoutMs: 2000, intervalMs: 250, now: () => performance.now() },
      { onLost: (reason) => (lost = reason) },
    );
    try {
      await pollUntil(() => m.load !== undefined, 'the first scrape');
      await server.close();
      await pollUntil(() => lost !== undefined, 'the member lost');
      expect(lost).toMatch(/^metrics: connection refused/);
    } finally {
      stop();
    }
  });
});
