/**
 * The per-member LRU of prefix blocks: matching counts the leading blocks held consecutively, recording
 * refreshes, capacity evicts the least recently used (a chain's tail before its head).
 */
import { describe, expect, it } from 'vitest';
import { PrefixIndex } from '../../gpu-pool/prefix-index.js';

describe('PrefixIndex', () => {
  it('counts, per member, the leading blocks held consecutively, stopping at the first miss', () => {
    const index = new PrefixIndex(100);
    index.record('a', [1, 2, 3, 4]);
    index.record('b', [1, 2, 9]);
    index.record('c', [2, 3, 4]);
    expect(Array.from(index.match([1, 2, 3, 4, 5], ['a', 'b', 'c', 'unknown']))).toEqual([4, 2, 0, 0]);
    expect(index.matchOne('a', [1, 2, 3, 4], 2)).toBe(2);
    expect(index.matchOne('a', [])).toBe(0);
  });

  it('evicts the least recently used blocks beyond the capacity, a chain tail first', () => {
    const index = new PrefixIndex(4);
    index.record('a', [1, 2, 3]);
    index.record('a', [4, 5]);
    expect(index.size('a')).toBe(4);
    // [1,2,3] went in tail first (3 is the oldest), so 3 was evicted and 1, 2 remain.
    expect(index.matchOne('a', [1, 2, 3])).toBe(2);
    expect(index.matchOne('a', [4, 5])).toBe(2);
  });

  it('refreshes recorded blocks, so a re-used prefix outlives newer one-offs', () => {
    const index = new PrefixIndex(4);
    index.record('a', [1, 2]);
    index.record('a', [3, 4]);
    index.record('a', [1, 2]); // refreshed: 4, then 3, are now the oldest
    index.record('a', [5]);
    expect(index.matchOne('a', [1, 2])).toBe(2);
    expect(index.matchOne('a', [3, 4])).toBe(1); // 4, the tail of [3, 4], went first
    expect(index.matchOne('a', [5])).toBe(1);
    expect(index.size('a')).toBe(4);
  });

  it('keeps capacities per member, evicting when one shrinks', () => {
    const index = new PrefixIndex(10);
    index.setCapacity('small', 2);
    index.record('small', [1, 2, 3, 4]);
    index.record('big', [1, 2, 3, 4]);
    expect(index.size('small')).toBe(2);
    expect(index.size('big')).toBe(4);
    expect(index.matchOne('small', [1, 2, 3, 4])).toBe(2);
    index.setCapacity('big', 1);
    expect(index.size('big')).toBe(1);
    expect(index.capacity('big')).toBe(1);
    index.setCapacity('big', 0);
    expect(index.size('big')).toBe(0);
  });

  it('forgets a member', () => {
    const index = new PrefixIndex(10);
    index.record('a', [1, 2]);
    index.forget('a');
    expect(index.size('a')).toBe(0);
    expect(index.matchOne('a', [1, 2])).toBe(0);
  });

  it('writes matches into a given array, and records only the first `length` of a buffer', () => {
    const index = new PrefixIndex(10);
    index.record('a', new Uint32Array([7, 8, 9, 0]), 2);
    expect(index.size('a')).toBe(2);
    const out = new Int32Array(4);
    expect(index.match(new Uint32Array([7, 8, 9]), ['a', 'b'], out)).toBe(out);
    expect(Array.from(out.subarray(0, 2))).toEqual([2, 0]);
  });

  it('agrees with a plain LRU model under random churn, through growth, eviction and capacity changes', () => {
    const index = new PrefixIndex(3000);
    const model = new Map<number, true>(); // insertion order = LRU order
    let capacity = 3000;
    let x = 12345;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    const touch = (h: number) => {
      model.delete(h);
      model.set(h, true);
      while (model.size > capacity) model.delete(model.keys().next().value!);
    };
    for (let round = 0; round < 400; round += 1) {
      // Keys from a small range (many refreshes) and large ones (beyond the small-integer range).
      const chain = Array.from({ length: 1 + (next() % 40) }, () => (next() % 2 === 0 ? next() % 5000 : next()));
      index.record('a', chain);
      for (let i = chain.length - 1; i >= 0; i -= 1) touch(chain[i]!);
      if (round % 97 === 96) {
        capacity = capacity === 3000 ? 1200 : 3000;
        index.setCapacity('a', capacity);
        while (model.size > capacity) model.delete(model.keys().next().value!);
      }
      expect(index.size('a')).toBe(model.size);
    }
    for (const h of model.keys()) expect(index.matchOne('a', [h])).toBe(1);
    for (let i = 0; i < 2000; i += 1) {
      const h = next() % 5000;
      expect(index.matchOne('a', [h])).toBe(model.has(h) ? 1 : 0);
    }
  });
});
