/**
 * Chained block hashes: only full blocks, at most maxBlocks, deterministic; a shared prefix shares the
 * leading hashes and nothing after the first differing block; the model seeds the chain.
 */
import { describe, expect, it } from 'vitest';
import { blockCount, hashPrefixBlocksInto, prefixBlocks } from '../../gpu-pool/prefix-hash.js';

function text(seed: number, length: number): string {
  let out = '';
  let x = seed * 7919 + 1;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += String.fromCharCode(97 + (x % 26));
  }
  return out;
}

describe('prefixBlocks', () => {
  it('hashes only full blocks, at most maxBlocks', () => {
    expect(prefixBlocks(text(1, 63), 'm', 64, 256)).toHaveLength(0);
    expect(prefixBlocks(text(1, 64), 'm', 64, 256)).toHaveLength(1);
    expect(prefixBlocks(text(1, 64 * 5 + 63), 'm', 64, 256)).toHaveLength(5);
    expect(prefixBlocks(text(1, 64 * 300), 'm', 64, 256)).toHaveLength(256);
    expect(blockCount(1000, 64, 4)).toBe(4);
    expect(blockCount(1000, 0, 4)).toBe(0);
  });

  it('is deterministic, and a trailing partial block changes nothing', () => {
    const prompt = text(2, 64 * 4);
    expect(Array.from(prefixBlocks(prompt, 'm', 64, 256))).toEqual(Array.from(prefixBlocks(prompt, 'm', 64, 256)));
    expect(Array.from(prefixBlocks(prompt + 'tail', 'm', 64, 256))).toEqual(Array.from(prefixBlocks(prompt, 'm', 64, 256)));
  });

  it('shares the leading hashes of a shared prefix, and none from the first differing block on', () => {
    const shared = text(3, 64 * 3);
    const a = prefixBlocks(shared + text(4, 64 * 3), 'm', 64, 256);
    const b = prefixBlocks(shared + text(5, 64 * 3), 'm', 64, 256);
    expect(Array.from(a.subarray(0, 3))).toEqual(Array.from(b.subarray(0, 3)));
    for (let i = 3; i < 6; i += 1) expect(a[i]).not.toBe(b[i]);
  });

  it('chains: the same block after a different prefix hashes differently', () => {
    const block = text(6, 64);
    const a = prefixBlocks(text(7, 64) + block, 'm', 64, 256);
    const b = prefixBlocks(text(8, 64) + block, 'm', 64, 256);
    expect(a[1]).not.toBe(b[1]);
  });

  it('seeds the chain with the model, so two models never share a hash', () => {
    const prompt = text(9, 64 * 8);
    const base = new Set(prefixBlocks(prompt, 'llama-3-8b', 64, 256));
    const adapter = prefixBlocks(prompt, 'llama-3-8b:sql-lora', 64, 256);
    for (const h of adapter) expect(base.has(h)).toBe(false);
  });

  it('writes into a reused buffer the same hashes it returns', () => {
    const prompt = text(10, 64 * 10 + 5);
    const buffer = new Uint32Array(256);
    const n = hashPrefixBlocksInto(buffer, prompt, 'm', 64, 256);
    expect(n).toBe(10);
    expect(Array.from(buffer.subarray(0, n))).toEqual(Array.from(prefixBlocks(prompt, 'm', 64, 256)));
    expect(hashPrefixBlocksInto(new Uint32Array(3), prompt, 'm', 64, 256)).toBe(3);
  });

  it('distributes: the hashes of many different blocks do not collide', () => {
    const hashes = prefixBlocks(text(11, 64 * 256), 'm', 64, 256);
    expect(new Set(hashes).size).toBe(256);
  });
});
