/**
 * Each scorer's table, and the fullness test's reasons in order.
 */
import { describe, expect, it } from 'vitest';
import { fullness, kvCacheScores, loraScores, prefixScores, queueScores, sessionScores } from '../../gpu-pool/scorers.js';
import { defaultPoolRouting } from '../../gpu-pool/router.js';
import { serverLoad, type ServerLoad } from '../../gpu-pool/server-metrics.js';
import type { PoolMember } from '../../gpu-pool/types.js';

function load(over: Partial<ServerLoad> = {}): ServerLoad {
  return serverLoad({ waiting: 0, running: 0, kvUsage: 0, ...over });
}

describe('scorers', () => {
  it.each([
    { waiting: [0, 5, 10], scores: [1, 0.5, 0] },
    { waiting: [3, 3, 3], scores: [1, 1, 1] },
    { waiting: [4], scores: [1] },
    { waiting: [2, 6], scores: [1, 0] },
  ])('queue: min-max over waiting $waiting', ({ waiting, scores }) => {
    expect(Array.from(queueScores(waiting))).toEqual(scores);
  });

  it('queue: scores only the first n of a reused array', () => {
    const out = new Float64Array(4).fill(9);
    queueScores(new Float64Array([0, 2, 99, 99]), out, 2);
    expect(Array.from(out)).toEqual([1, 0, 9, 9]);
  });

  it.each([
    { kv: [0, 0.25, 1], scores: [1, 0.75, 0] },
    { kv: [1.5, -1], scores: [0, 1] },
    { kv: [0.2, Number.NaN, 0.6], scores: [0.8, 0.6, 0.4] },
    { kv: [Number.NaN, Number.NaN], scores: [1, 1] },
  ])('kv cache: 1 − use $kv (unknown: the mean of the rest)', ({ kv, scores }) => {
    const got = Array.from(kvCacheScores(kv));
    got.forEach((s, i) => expect(s).toBeCloseTo(scores[i]!, 12));
  });

  it.each([
    { matched: [0, 5, 10], blocks: 10, scores: [0, 0.5, 1] },
    { matched: [0, 0], blocks: 0, scores: [0, 0] },
  ])('prefix: matched $matched of $blocks blocks', ({ matched, blocks, scores }) => {
    expect(Array.from(prefixScores(matched, blocks))).toEqual(scores);
  });

  it('lora: loaded 1, a free slot 0.5, neither 0; all 1 when no member reports adapters', () => {
    const loads = [
      load({ loras: ['sql'], maxLoras: 2 }),
      load({ loras: ['chat'], maxLoras: 2 }),
      load({ loras: ['chat', 'x'], maxLoras: 2 }),
      undefined,
    ];
    expect(Array.from(loraScores(loads, 'sql'))).toEqual([1, 0.5, 0, 0]);
    expect(Array.from(loraScores([load(), load(), undefined], 'sql'))).toEqual([1, 1, 1]);
  });

  it('session: 1 for the pinned candidate only', () => {
    expect(Array.from(sessionScores(3, 1))).toEqual([0, 1, 0]);
    expect(Array.from(sessionScores(2, -1))).toEqual([0, 0]);
  });
});

describe('fullness', () => {
  const routing = defaultPoolRouting;
  const member = (over: Partial<PoolMember> = {}): PoolMember => ({
    id: 'm',
    ready: true,
    load: load(),
    scrapedAt: 1000,
    inFlight: 0,
    ...over,
  });
  const idle = { waiting: 0, kvUsage: 0.1 };

  it.each([
    { name: 'not ready', m: { ready: false, scrapedAt: -Infinity }, estimate: idle, reason: 'not_ready' },
    { name: 'never scraped', m: { scrapedAt: -Infinity }, estimate: idle, reason: 'stale' },
    { name: 'an old scrape', m: { scrapedAt: 1000 - routing.staleMs - 1 }, estimate: idle, reason: 'stale' },
    { name: 'a scrape just within staleMs', m: { scrapedAt: 1000 - routing.staleMs }, estimate: idle, reason: undefined },
    { name: 'a long queue', m: {}, estimate: { waiting: routing.maxQueue + 1, kvUsage: 0.99 }, reason: 'queue' },
    { name: 'a queue at the limit', m: {}, estimate: { waiting: routing.maxQueue, kvUsage: 0.1 }, reason: undefined },
    { name: 'a full KV cache', m: {}, estimate: { waiting: 0, kvUsage: 0.96 }, reason: 'kv_cache' },
    { name: 'an unknown KV use', m: {}, estimate: { waiting: 0, kvUsage: Number.NaN }, reason: undefined },
  ])('$name → $reason', ({ m, estimate, reason }) => {
    expect(fullness(member(m), estimate, routing, 1000)).toBe(reason);
  });
});
