/**
 * The tokenizer stand-in: 4 characters ≈ 1 token (the usual rule of thumb for English text with
 * BPE tokenizers), and the prompt's KV blocks as chained hashes of `blockSize * 4` characters, so two
 * prompts share cached blocks exactly as far as their text agrees, block by block, as vLLM's prefix
 * cache hashes token blocks (each block's hash covers its parent's).
 */

export const CHARS_PER_TOKEN = 4;

export function tokenCount(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * Hashes of the prompt's full blocks: h_i = FNV-1a(h_{i-1}, chunk_i) over the char codes of block
 * `i`'s `blockSize * 4` characters. A partial last block gets no hash (vLLM caches full blocks only).
 */
export function blockHashes(text: string, blockSize = 16, seed = 0): number[] {
  const chunk = blockSize * CHARS_PER_TOKEN;
  const blocks = Math.floor(text.length / chunk);
  const out = new Array<number>(blocks);
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let b = 0, at = 0; b < blocks; b++) {
    // Chain: the previous block's hash is this block's offset basis.
    h = Math.imul(h ^ b, 0x01000193);
    const end = at + chunk;
    for (; at < end; at++) h = Math.imul(h ^ text.charCodeAt(at), 0x01000193);
    h >>>= 0;
    out[b] = h;
  }
  return out;
}
