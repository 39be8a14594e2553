/**
 * A prompt's prefix as a chain of block hashes, the key of prefix affinity (as in the Gateway API
 * Inference Extension's prefix-cache plugin, and in how vLLM keys its own KV blocks): the prompt is cut
 * into consecutive blocks of `blockChars` characters and block i's hash folds in block i−1's, so
 * h_i names the whole prefix up to the end of block i, not the block alone. Two prompts share their
 * first k hashes exactly when they share their first k·blockChars characters (up to 32-bit collisions).
 *
 * - The chain is seeded with the model's name, so two models (or two LoRA adapters of one base model),
 *   whose KV caches never mix on a server, never share a hash.
 * - Only full blocks are hashed: a trailing partial block is left out, as a server's prefix cache only
 *   reuses full KV blocks too, and so that a prompt's hashes stay the same when it is later extended.
 * - At most `maxBlocks` blocks: a longer prompt is represented by its first ones.
 *
 * The hash is FNV-1a over UTF-16 code units (Math.imul; no slicing, no per-block allocation), each block's
 * result passed through the MurmurHash3 finaliser so that the chained values are well mixed.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The chain's seed for a model: FNV-1a of its name, finalised. */
export function modelSeed(model: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < model.length; i += 1) h = Math.imul(h ^ model.charCodeAt(i), FNV_PRIME);
  return fmix32(h ^ model.length);
}

/** Full blocks a prompt of this length has, capped at maxBlocks. */
export function blockCount(promptLength: number, blockChars: number, maxBlocks: number): number {
  if (!(blockChars >= 1) || !(maxBlocks >= 1)) return 0;
  return Math.min(Math.floor(promptLength / Math.floor(blockChars)), Math.floor(maxBlocks));
}

/**
 * Writes the prompt's chained block hashes into `out` (from index 0) and returns how many it wrote:
 * min(full blocks, maxBlocks, out.length). For callers that reuse one buffer across decisions.
 */
export function hashPrefixBlocksInto(out: Uint32Array, prompt: string, model: string, blockChars: number, maxBlocks: number): number {
  const size = Math.floor(blockChars);
  const n = Math.min(blockCount(prompt.length, blockChars, maxBlocks), out.length);
  let prev = modelSeed(model);
  let at = 0;
  for (let b = 0; b < n; b += 1) {
    // Seed block b's FNV with the previous block's hash: h_b = H(h_{b-1}, block_b).
    let h = Math.imul(FNV_OFFSET ^ prev, FNV_PRIME);
    const end = at + size;
    for (; at < end; at += 1) h = Math.imul(h ^ prompt.charCodeAt(at), FNV_PRIME);
    prev = fmix32(h);
    out[b] = prev;
  }
  return n;
}

/** The prompt's chained block hashes (see the module comment): one per full block, at most maxBlocks. */
export function prefixBlocks(prompt: string, model: string, blockChars: number, maxBlocks: number): Uint32Array {
  const out = new Uint32Array(blockCount(prompt.length, blockChars, maxBlocks));
  hashPrefixBlocksInto(out, prompt, model, blockChars, maxBlocks);
  return out;
}
