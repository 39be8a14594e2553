/**
 * Seeded randomness and string hashing. Everything a simulator draws goes through these, so a run
 * with the same seed and the same requests behaves the same (answers, fault draws, failRate).
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a string's UTF-16 code units, continuing from `hash` so parts can be folded in. */
export function hashString(text: string, hash: number = FNV_OFFSET): number {
  let h = hash >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Folds an integer into a hash (for seeds, choice indexes, token ids). */
export function hashNumber(value: number, hash: number = FNV_OFFSET): number {
  let h = hash >>> 0;
  let v = Math.trunc(value) | 0;
  for (let i = 0; i < 4; i++) {
    h ^= v & 0xff;
    h = Math.imul(h, FNV_PRIME);
    v >>>= 8;
  }
  return h >>> 0;
}

export const HASH_SEED = FNV_OFFSET;

export type Random = () => number;

/** mulberry32: tiny, fast and good enough for picking words and fault draws; returns [0, 1). */
export function createRandom(seed: number): Random {
  // murmur3's finaliser first, so that neighbouring seeds (choice 0, 1, ...) start far apart.
  let state = seed >>> 0;
  state = Math.imul(state ^ (state >>> 16), 0x85ebca6b);
  state = Math.imul(state ^ (state >>> 13), 0xc2b2ae35);
  state = (state ^ (state >>> 16)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters from [A-Za-z0-9], like the ids OpenAI hands out. */
export function randomId(random: Random, length: number): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)];
  return id;
}
