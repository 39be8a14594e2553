import { describe, expect, it } from 'vitest';
import { readServerLoad } from '../../gpu-pool/server-metrics.js';
import { VirtualClock } from '../../sim/engine/clock.js';
import { Engine } from '../../sim/engine/engine.js';
import { KvCache } from '../../sim/engine/kv-cache.js';
import { engineProfiles } from '../../sim/engine/profiles.js';
import { blockHashes, tokenCount } from '../../sim/engine/tokens.js';
import type { EngineHandle } from '../../sim/engine/types.js';

const P8 = engineProfiles['llama-3.1-8b-h100'];
const us = (x: number): number => x / 1000;

interface Trace {
  tokens: number[];
  finishedAt: number | undefined;
  handle: EngineHandle;
}

function submit(engine: Engine, text: string, outputTokens: number): Trace {
  const trace: Trace = { tokens: [], finishedAt: undefined, handle: undefined as unknown as EngineHandle };
  trace.handle = engine.submit({
    promptTokens: tokenCount(text),
    blockHashes: blockHashes(text, 16),
    outputTokens,
    onToken: (_index, now) => trace.tokens.push(now),
    onFinish: (now) => (trace.finishedAt = now),
  });
  return trace;
}

const text = (chars: number, salt = 'a'): string => {
  let s = '';
  let i = 0;
  while (s.length < chars) s += `${salt}${i++} `;
  return s.slice(0, chars);
};

describe('tokens', () => {
  it('counts 4 chars per token and hashes full blocks, chained', () => {
    expect(tokenCount('abcde')).toBe(2);
    const a = blockHashes(text(64 * 3 + 10), 16);
    expect(a).toHaveLength(3);
    const b = blockHashes(text(64 * 2) + 'X'.repeat(64), 16);
    expect(b.slice(0, 2)).toEqual(a.slice(0, 2));
    expect(b[2]).not.toBe(a[2]);
  });
});

describe('VirtualClock', () => {
  it('runs events in time order, FIFO at equal times, and cancels', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.schedule(5, () => seen.push('b'));
    clock.schedule(1, () => seen.push('a'));
    clock.schedule(5, () => seen.push('c'));
    clock.schedule(3, () => seen.push('x')).cancel();
    clock.runUntil(4);
    expect(seen).toEqual(['a']);
    expect(clock.now()).toBe(4);
    clock.runUntilIdle();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(5);
  });
});

describe('KvCache', () => {
  it('keeps freed hashed blocks cached, evicts the oldest only when needed', () => {
    const kv = new KvCache(4, 16);
    const a = { blocks: [] as number[] };
    expect(kv.allocatePrompt(a, [1, 2], 32)).toBe(0);
    kv.cacheComputed(a, [1, 2], 2);
    kv.free(a);
    expect(kv.usedBlocks).toBe(0);
    const b = { blocks: [] as number[] };
    expect(kv.allocatePrompt(b, [1, 2], 40)).toBe(2);
    expect(kv.usedBlocks).toBe(3);
    kv.free(b);
    const c = { blocks: [] as number[] };
    // 4 blocks needed: the hashless one first, then the cached ones are evicted.
    expect(kv.allocatePrompt(c, [9, 8, 7, 6], 64)).toBe(0);
    expect(kv.lookup([1, 2])).toBe(0);
    expect(kv.allocatePrompt({ blocks: [] }, [5], 16)).toBe(-1);
  });
});

describe('Engine', () => {
  it('times a lone request by the step formula', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock);
    const t = submit(engine, text(400), 4); // 100 prompt tokens
    clock.runUntilIdle();
    expect(t.tokens).toHaveLength(4);
    expect(t.tokens[0]).toBeCloseTo(us(P8.beta0Us + 100 * P8.beta1Us), 9);
    for (let i = 1; i < 4; i++) expect(t.tokens[i]! - t.tokens[i - 1]!).toBeCloseTo(us(P8.beta0Us + P8.beta2Us), 9);
    expect(t.finishedAt).toBe(t.tokens[3]);
    const s = engine.stats();
    expect(s).toMatchObject({ running: 0, waiting: 0, promptTokens: 100, generationTokens: 4, kvUsage: 0 });
    expect(clock.pending).toBe(0);
  });

  it('serves a shared prefix from the cache', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock);
    const prefix = text(64 * 20); // 20 full blocks
    const first = submit(engine, prefix + 'first question', 2);
    clock.runUntilIdle();
    const before = engine.stats();
    expect(before.prefixHits).toBe(0);
    const start = clock.now();
    const second = submit(engine, prefix + 'other question', 2);
    clock.runUntilIdle();
    const after = engine.stats();
    expect(after.prefixHits - before.prefixHits).toBe(20 * 16);
    expect(after.prefixQueries - before.prefixQueries).toBe(tokenCount(prefix + 'other question'));
    expect(second.tokens[0]! - start).toBeLessThan(first.tokens[0]!);
    expect(second.tokens[0]! - start).toBeCloseTo(us(P8.beta0Us + (tokenCount(prefix + 'other question') - 320) * P8.beta1Us), 9);
  });

  it('chunks a long prefill over steps', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock);
    const t = submit(engine, text(4 * 10_000), 1);
    clock.runUntilIdle();
    expect(engine.stats().steps).toBe(2);
    expect(t.tokens[0]).toBeCloseTo(us(2 * P8.beta0Us + 10_000 * P8.beta1Us), 9);
  });

  it('preempts when the KV cache runs out, and still finishes everything', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock, { kvBlocks: 12 });
    const traces = [0, 1, 2, 3].map((i) => submit(engine, text(64 * 2, `s${i}`), 40));
    clock.runUntilIdle();
    const s = engine.stats();
    expect(s.preemptions).toBeGreaterThan(0);
    for (const t of traces) {
      expect(t.tokens).toHaveLength(40);
      expect(t.finishedAt).toBeDefined();
    }
    expect(s.generationTokens).toBe(160);
    expect(engine.kv.usedBlocks).toBe(0);
  });

  it('bounds the running batch by maxNumSeqs; the rest wait', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock, { maxNumSeqs: 2 });
    const traces = [0, 1, 2, 3, 4].map((i) => submit(engine, text(100, `r${i}`), 5));
    clock.runUntil(us(P8.beta0Us) * 2);
    expect(engine.stats()).toMatchObject({ running: 2, waiting: 3 });
    clock.runUntilIdle();
    expect(traces.every((t) => t.tokens.length === 5)).toBe(true);
  });

  it('aborts wherever the sequence is', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock, { maxNumSeqs: 1 });
    const a = submit(engine, text(100), 10);
    const b = submit(engine, text(100, 'b'), 10);
    b.handle.abort();
    clock.runUntil(50);
    a.handle.abort();
    clock.runUntilIdle();
    expect(b.tokens).toHaveLength(0);
    expect(a.tokens.length).toBeLessThan(10);
    expect(a.finishedAt).toBeUndefined();
    expect(engine.stats()).toMatchObject({ running: 0, waiting: 0, kvUsage: 0 });
  });

  it('publishes metrics that the pool reads back to the same numbers', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock, { maxNumSeqs: 2 });
    const prefix = text(64 * 4);
    submit(engine, prefix + 'one', 3);
    clock.runUntilIdle();
    for (let i = 0; i < 4; i++) submit(engine, prefix + `q${i}`, 50);
    clock.runUntil(clock.now() + 30);
    const s = engine.stats();
    const page = engine.metricsText('llama');
    const load = readServerLoad('vllm', page);
    expect(load).toMatchObject({
      waiting: s.waiting,
      running: s.running,
      kvUsage: s.kvUsage,
      prefixHits: s.prefixHits,
      prefixQueries: s.prefixQueries,
      blockSize: 16,
      gpuBlocks: P8.kvBlocks,
    });
    expect(s.waiting).toBe(2);
    expect(s.prefixHits).toBeGreaterThan(0);
    expect(page).toContain('vllm:num_preemptions_total{model_name="llama"} 0.0');
  });

  it('decodes 64 sequences at about β0 + 64·β2 per step', () => {
    const clock = new VirtualClock();
    const engine = new Engine(P8, clock);
    const traces = Array.from({ length: 64 }, (_, i) => submit(engine, text(40, `d${i}`), 100));
    clock.runUntilIdle();
    const t = traces[0]!;
    const step = t.tokens[50]! - t.tokens[49]!;
    expect(step).toBeCloseTo(us(P8.beta0Us + 64 * P8.beta2Us), 9);
    // ~ 64 / 6.1 ms ≈ 10 500 tokens/s.
    const throughput = engine.stats().generationTokens / (clock.now() / 1000);
    expect(throughput).toBeGreaterThan(9000);
    expect(throughput).toBeLessThan(11_500);
  });
});
