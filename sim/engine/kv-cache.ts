/**
 * A paged KV cache with a prefix cache, as vLLM's block manager keeps it: `kvBlocks` blocks of
 * `blockSize` tokens, a reference count each, and a hash → block map for full prompt blocks whose
 * KV has been computed. A freed block that holds a hash keeps it (its KV stays valid) and goes to the
 * tail of an LRU free list; it is evicted (its hash forgotten) only when a free block is needed and
 * no never-used or hashless free block is left, oldest first. Every block operation is O(1): typed
 * arrays and an intrusive doubly linked list.
 */

/** What the cache keeps per sequence: its blocks, in order. */
export interface KvSequence {
  readonly blocks: number[];
}

const NONE = -1;

export class KvCache {
  readonly totalBlocks: number;
  private readonly refs: Int32Array;
  /** The block's hash, or NaN when it holds none. */
  private readonly hashOf: Float64Array;
  private readonly byHash = new Map<number, number>();
  /** Free blocks holding no hash: a stack. */
  private readonly plain: Int32Array;
  private plainCount: number;
  /** Free blocks holding a hash: LRU list, head = oldest. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = NONE;
  private tail = NONE;
  private cachedFreeCount = 0;
  private used = 0;

  constructor(
    kvBlocks: number,
    readonly blockSize: number,
  ) {
    this.totalBlocks = kvBlocks;
    this.refs = new Int32Array(kvBlocks);
    this.hashOf = new Float64Array(kvBlocks).fill(NaN);
    this.plain = new Int32Array(kvBlocks);
    // Lowest ids first, as vLLM hands them out.
    for (let i = 0; i < kvBlocks; i++) this.plain[i] = kvBlocks - 1 - i;
    this.plainCount = kvBlocks;
    this.prev = new Int32Array(kvBlocks).fill(NONE);
    this.next = new Int32Array(kvBlocks).fill(NONE);
  }

  /** Blocks referenced by some sequence. */
  get usedBlocks(): number {
    return this.used;
  }

  /** Blocks that can be handed out (never used, hashless, or cached and evictable). */
  get freeBlocks(): number {
    return this.plainCount + this.cachedFreeCount;
  }

  /** Blocks in use / all blocks, 0..1 (vllm:kv_cache_usage_perc). */
  get usage(): number {
    return this.used / this.totalBlocks;
  }

  /** Consecutive leading blocks of `hashes` found in the cache. */
  lookup(hashes: readonly number[]): number {
    let n = 0;
    while (n < hashes.length && this.byHash.has(hashes[n]!)) n++;
    return n;
  }

  /**
   * Admits a prompt of `tokens` tokens: takes its cached prefix (at most `maxHitBlocks` blocks) and
   * allocates the rest. Returns the blocks found cached, or -1 (nothing changed) when there is not
   * room for the rest.
   */
  allocatePrompt(seq: KvSequence, hashes: readonly number[], tokens: number, maxHitBlocks = Infinity): number {
    const needed = Math.ceil(tokens / this.blockSize);
    let hits = 0;
    let hitsFree = 0;
    const limit = Math.min(hashes.length, needed, maxHitBlocks);
    while (hits < limit) {
      const block = this.byHash.get(hashes[hits]!);
      if (block === undefined) break;
      if (this.refs[block] === 0) hitsFree++;
      hits++;
    }
    if (this.freeBlocks - hitsFree < needed - hits) return -1;
    const blocks = seq.blocks;
    for (let i = 0; i < hits; i++) {
      const block = this.byHash.get(hashes[i]!)!;
      if (this.refs[block] === 0) {
        this.unlink(block);
        this.used++;
      }
      this.refs[block]! += 1;
      blocks.push(block);
    }
    for (let i = hits; i < needed; i++) blocks.push(this.take());
    return hits;
  }

  /** Makes room for `tokens` tokens in the sequence (one more block when it crosses a boundary). False: no free block. */
  ensure(seq: KvSequence, tokens: number): boolean {
    const blocks = seq.blocks;
    while (blocks.length * this.blockSize < tokens) {
      if (this.freeBlocks === 0) return false;
      blocks.push(this.take());
    }
    return true;
  }

  /** Registers the hashes of the sequence's first `fullBlocks` blocks (computed now), unless taken. */
  cacheComputed(seq: KvSequence, hashes: readonly number[], fullBlocks: number): void {
    const blocks = seq.blocks;
    const n = Math.min(fullBlocks, hashes.length, blocks.length);
    for (let i = 0; i < n; i++) {
      const block = blocks[i]!;
      if (!Number.isNaN(this.hashOf[block]!)) continue;
      const hash = hashes[i]!;
      if (this.byHash.has(hash)) continue;
      this.hashOf[block] = hash;
      this.byHash.set(hash, block);
    }
  }

  /** Releases the sequence's blocks, tail first (so a prompt's first blocks are evicted last). */
  free(seq: KvSequence): void {
    const blocks = seq.blocks;
    for (let i = blocks.length - 1; i >= 0; i--) {
      const block = blocks[i]!;
      const refs = (this.refs[block]! -= 1);
      if (refs > 0) continue;
      this.used--;
      if (Number.isNaN(this.hashOf[block]!)) this.plain[this.plainCount++] = block;
      else this.append(block);
    }
    blocks.length = 0;
  }

  /** A free block, evicting the least recently used cached one if need be. Callers check freeBlocks first. */
  private take(): number {
    let block: number;
    if (this.plainCount > 0) block = this.plain[--this.plainCount]!;
    else {
      block = this.head;
      if (block === NONE) throw new Error('KV cache: no free block');
      this.unlink(block);
      this.byHash.delete(this.hashOf[block]!);
      this.hashOf[block] = NaN;
    }
    this.refs[block] = 1;
    this.used++;
    return block;
  }

  private append(block: number): void {
    this.prev[block] = this.tail;
    this.next[block] = NONE;
    if (this.tail === NONE) this.head = block;
    else this.next[this.tail] = block;
    this.tail = block;
    this.cachedFreeCount++;
  }

  private unlink(block: number): void {
    const p = this.prev[block]!;
    const n = this.next[block]!;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.prev[block] = NONE;
    this.next[block] = NONE;
    this.cachedFreeCount--;
  }
}
