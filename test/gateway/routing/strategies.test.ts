/** Routing strategies as tables: pure, deterministic under a seeded random source, ties never by config order. */
import { describe, expect, it } from 'vitest';
import { expectedCost, strategies, type Candidate, type RequestEstimate } from '../../../gateway/routing/strategies/index.js';
import type { StatsSnapshot } from '../../../gateway/health/stats.js';
import { seededRandom } from '../../support/seeded-random.js';

const idle: StatsSnapshot = {
  inFlight: 0,
  latencyMs: undefined,
  ttftMs: undefined,
  answerMsPerWork: undefined,
  firstTokenMsPerWork: undefined,
  outputTokens: undefined,
  errorRate: 0,
  recentAttempts: 0,
  lastFailureAt: undefined,
  lastErrorKind: undefined,
};

function candidate(id: string, over: Partial<Omit<Candidate, 'stats'>> & { stats?: Partial<StatsSnapshot> } = {}): Candidate {
  const { stats, ...rest } = over;
  return { id, weight: 1, inputPerMTok: 1, outputPerMTok: 1, maxConcurrency: undefined, ...rest, stats: { ...idle, ...stats } };
}

const chat: RequestEstimate = { inputTokens: 1000, outputTokens: 200, stream: false };
const ids = (cs: Candidate[]) => cs.map((c) => c.id);

describe('priority', () => {
  it('keeps the order written', () => {
    const cs = [candidate('a'), candidate('b'), candidate('c')];
    expect(ids(strategies.priority(cs, chat, seededRandom(1), new Map()))).toEqual(['a', 'b', 'c']);
  });
});

describe('cost', () => {
  const table: Array<[string, Candidate[], RequestEstimate, string[]]> = [
    [
      'cheapest input wins on a long prompt',
      [candidate('gpt', { inputPerMTok: 2.5, outputPerMTok: 10 }), candidate('llama', { inputPerMTok: 0.1, outputPerMTok: 0.1 })],
      chat,
      ['llama', 'gpt'],
    ],
    [
      'output price decides a long answer',
      [candidate('in-cheap', { inputPerMTok: 0.1, outputPerMTok: 20 }), candidate('out-cheap', { inputPerMTok: 1, outputPerMTok: 1 })],
      { inputTokens: 10, outputTokens: 4000, stream: false },
      ['out-cheap', 'in-cheap'],
    ],
    [
      'input price decides a long prompt',
      [candidate('in-cheap', { inputPerMTok: 0.1, outputPerMTok: 20 }), candidate('out-cheap', { inputPerMTok: 1, outputPerMTok: 1 })],
      { inputTokens: 100_000, outputTokens: 10, stream: false },
      ['in-cheap', 'out-cheap'],
    ],
  ];
  it.each(table)('%s', (_name, cs, request, want) => {
    expect(ids(strategies.cost(cs, request, seededRandom(7), new Map()))).toEqual(want);
  });

  it('computes expected cost in USD', () => {
    expect(expectedCost(candidate('x', { inputPerMTok: 2.5, outputPerMTok: 10 }), chat)).toBeCloseTo(0.0045, 10);
  });

  it('breaks ties at random, not by config order', () => {
    const cs = [candidate('a'), candidate('b')];
    const firsts = new Set<string>();
    const random = seededRandom(3);
    for (let i = 0; i < 40; i += 1) firsts.add(strategies.cost(cs, chat, random, new Map())[0]!.id);
    expect(firsts).toEqual(new Set(['a', 'b']));
  });
});

describe('weighted (smooth weighted round robin)', () => {
  it('gives exact shares, evenly spaced', () => {
    const cs = [candidate('a', { weight: 5 }), candidate('b', { weight: 1 }), candidate('c', { weight: 1 })];
    const state = new Map<string, number>();
    const random = seededRandom(11);
    const picks = Array.from({ length: 70 }, () => strategies.weighted(cs, chat, random, state)[0]!.id);
    expect(picks.filter((p) => p === 'a')).toHaveLength(50);
    expect(picks.filter((p) => p === 'b')).toHaveLength(10);
    expect(picks.filter((p) => p === 'c')).toHaveLength(10);
    // Never more than the weight's share in a row: a is never picked 6 times running.
    expect(picks.join('')).not.toContain('aaaaaa');
  });

  it('orders the failover candidates by weight', () => {
    const cs = [candidate('a', { weight: 1 }), candidate('b', { weight: 3 }), candidate('c', { weight: 2 })];
    const order = ids(strategies.weighted(cs, chat, seededRandom(2), new Map()));
    expect(order[0]).toBe('b');
    expect(order.slice(1)).toEqual(['c', 'a']);
  });
});

describe('latency', () => {
  it('prefers the lower peak-EWMA latency (total for non-stream, first token for streams)', () => {
    const fastTotal = candidate('fast-total', { stats: { latencyMs: 200, ttftMs: 900 } });
    const fastFirst = candidate('fast-first', { stats: { latencyMs: 800, ttftMs: 50 } });
    let total = 0;
    let first = 0;
    const random = seededRandom(5);
    for (let i = 0; i < 200; i += 1) {
      if (strategies.latency([fastTotal, fastFirst], chat, random, new Map())[0]!.id === 'fast-total') total += 1;
      if (strategies.latency([fastTotal, fastFirst], { ...chat, stream: true }, random, new Map())[0]!.id === 'fast-first') first += 1;
    }
    // Only exploration (5 %) sends traffic the other way.
    expect(total).toBeGreaterThan(180);
    expect(first).toBeGreaterThan(180);
  });

  it('does not herd: load in flight raises the score of the fastest', () => {
    const busyFast = candidate('busy-fast', { stats: { latencyMs: 100, inFlight: 9 } });
    const idleSlower = candidate('idle-slower', { stats: { latencyMs: 300, inFlight: 0 } });
    expect(strategies.latency([busyFast, idleSlower], chat, seededRandom(9), new Map())[0]!.id).toBe('idle-slower');
  });

  it('explores: every candidate gets some first picks, including a slow one', () => {
    const cs = [
      candidate('a', { stats: { latencyMs: 100 } }),
      candidate('b', { stats: { latencyMs: 120 } }),
      candidate('slow', { stats: { latencyMs: 5000 } }),
    ];
    const counts = new Map<string, number>();
    const random = seededRandom(21);
    for (let i = 0; i < 2000; i += 1) {
      const id = strategies.latency(cs, chat, random, new Map())[0]!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.get('slow') ?? 0).toBeGreaterThan(0);
    expect(counts.get('slow') ?? 0).toBeLessThan(100);
    // Power of two choices spreads the near-equal pair instead of sending everything to the fastest.
    expect(counts.get('b') ?? 0).toBeGreaterThan(300);
    expect(counts.get('a')!).toBeGreaterThan(counts.get('b')!);
  });

  it('is deterministic under the same seed', () => {
    const cs = [candidate('a', { stats: { latencyMs: 100 } }), candidate('b', { stats: { latencyMs: 110 } }), candidate('c')];
    const run = () =>
      Array.from(
        { length: 50 },
        (
          (r) => () =>
            ids(strategies.latency(cs, chat, r, new Map())).join()
        )(seededRandom(42)),
      );
    expect(run()).toEqual(run());
  });
});

describe('least-busy', () => {
  it('orders by in-flight relative to each concurrency limit', () => {
    const cs = [
      candidate('big-busy', { maxConcurrency: 100, stats: { inFlight: 40 } }),
      candidate('small-busy', { maxConcurrency: 8, stats: { inFlight: 6 } }),
      candidate('small-idle', { maxConcurrency: 8, stats: { inFlight: 1 } }),
    ];
    expect(ids(strategies['least-busy'](cs, chat, seededRandom(1), new Map()))).toEqual(['small-idle', 'big-busy', 'small-busy']);
  });
});
