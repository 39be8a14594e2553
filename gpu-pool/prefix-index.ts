/**
 * What the router believes each member's prefix cache holds: per member, an LRU set of block hashes
 * (gpu-pool/prefix-hash.ts) with a capacity in blocks — the GIE prefix-cache plugin's approximate
 * index. It learns only from the router's own picks (`record` after each), never from the server, so it
 * is a belief: the capacity, sized from the server's KV cache when known, makes it forget at about the
 * rate the server evicts.
 *
 * Each member's set is an LRU hash set over typed arrays (below): lookup, insert, refresh and eviction
 * are O(1) and allocate nothing. `match` walks the chain per member and stops at its first miss, so its
 * cost is the matched length.
 */

/** The GIE prefix-cache plugin's default LRU capacity per server, in blocks. */
export const DEFAULT_LRU_BLOCKS = 31250;

/** An empty member's arrays start this small and double up to its capacity, so a large capacity costs only what is held. */
const INITIAL_SLOTS = 1024;
const NONE = -1;

/**
 * One member's blocks: a set of 32-bit hashes with a capacity, in least-recently-used order. Typed arrays
 * only — slots hold the keys, a doubly linked list over the slots keeps the LRU order, and a chained hash
 * table (buckets ≥ 2 × slots, so chains are short) finds a key's slot; the keys are already well mixed,
 * so their low bits index the buckets. Nothing is allocated per operation, and there is no rehashing
 * once the arrays reach the capacity (a JS Set of such keys would box each one as a heap number and
 * rehash tens of thousands of entries every so often under constant churn).
 */
class LruBlocks {
  size = 0;
  private keys = new Uint32Array(0);
  /** LRU order: `older`/`newer` neighbours of each slot; head is the least recently used. */
  private older = new Int32Array(0);
  private newer = new Int32Array(0);
  /** Next slot in the same bucket. */
  private chain = new Int32Array(0);
  private buckets = new Int32Array(0);
  private mask = 0;
  private head = NONE;
  private tail = NONE;
  /** Slots below `used` have been handed out; freed ones are chained through `chain` from `free`. */
  private used = 0;
  private free = NONE;

  constructor(public capacity: number) {}

  has(key: number): boolean {
    return this.find(key) !== NONE;
  }

  /** Inserts the key, or refreshes it if held; evicts the least recently used beyond the capacity. */
  touch(key: number): void {
    const found = this.find(key);
    if (found !== NONE) {
      this.unlink(found);
      this.append(found);
      return;
    }
    if (this.capacity <= 0) return;
    while (this.size >= this.capacity) this.remove(this.head);
    const slot = this.allocate();
    this.keys[slot] = key;
    const b = key & this.mask;
    this.chain[slot] = this.buckets[b]!;
    this.buckets[b] = slot;
    this.append(slot);
    this.size += 1;
  }

  /** Evicts down to the capacity. */
  trim(): void {
    while (this.size > Math.max(0, this.capacity)) this.remove(this.head);
  }

  private find(key: number): number {
    if (this.size === 0) return NONE;
    let slot = this.buckets[key & this.mask]!;
    while (slot !== NONE && this.keys[slot] !== key) slot = this.chain[slot]!;
    return slot;
  }

  private allocate(): number {
    if (this.free !== NONE) {
      const slot = this.free;
      this.free = this.chain[slot]!;
      return slot;
    }
    if (this.used === this.keys.length) this.grow();
    const slot = this.used;
    this.used += 1;
    return slot;
  }

  /** Doubles the slots (up to the capacity) and rebuilds the buckets; only while a member fills up. */
  private grow(): void {
    const slots = Math.min(Math.max(INITIAL_SLOTS, this.keys.length * 2), Math.max(this.capacity, this.keys.length + 1));
    const keys = new Uint32Array(slots);
    keys.set(this.keys);
    const older = new Int32Array(slots);
    older.set(this.older);
    const newer = new Int32Array(slots);
    newer.set(this.newer);
    this.keys = keys;
    this.older = older;
    this.newer = newer;
    this.chain = new Int32Array(slots);
    let buckets = 1;
    while (buckets < slots * 2) buckets *= 2;
    this.buckets = new Int32Array(buckets).fill(NONE);
    this.mask = buckets - 1;
    // Only grown when no slot is free, so every slot below `used` holds a key.
    for (let slot = 0; slot < this.used; slot += 1) {
      const b = keys[slot]! & this.mask;
      this.chain[slot] = this.buckets[b]!;
      this.buckets[b] = slot;
    }
  }

  private remove(slot: number): void {
    const b = this.keys[slot]! & this.mask;
    let at = this.buckets[b]!;
    if (at === slot) this.buckets[b] = this.chain[slot]!;
    else {
      while (this.chain[at]! !== slot) at = this.chain[at]!;
      this.chain[at] = this.chain[slot]!;
    }
    this.unlink(slot);
    this.chain[slot] = this.free;
    this.free = slot;
    this.size -= 1;
  }

  private unlink(slot: number): void {
    const o = this.older[slot]!;
    const n = this.newer[slot]!;
    if (o === NONE) this.head = n;
    else this.newer[o] = n;
    if (n === NONE) this.tail = o;
    else this.older[n] = o;
  }

  private append(slot: number): void {
    this.older[slot] = this.tail;
    this.newer[slot] = NONE;
    if (this.tail === NONE) this.head = slot;
    else this.newer[this.tail] = slot;
    this.tail = slot;
  }
}

function capacityOf(blocks: number): number {
  return Number.isFinite(blocks) ? Math.max(0, Math.floor(blocks)) : 0;
}

export class PrefixIndex {
  private readonly members = new Map<string, LruBlocks>();

  /** @param defaultCapacity blocks a member holds until `setCapacity` says otherwise. */
  constructor(private readonly defaultCapacity: number = DEFAULT_LRU_BLOCKS) {}

  private cache(id: string): LruBlocks {
    let cache = this.members.get(id);
    if (cache === undefined) {
      cache = new LruBlocks(capacityOf(this.defaultCapacity));
      this.members.set(id, cache);
    }
    return cache;
  }

  /** Sets a member's capacity in blocks, evicting its least recently used blocks beyond it. */
  setCapacity(id: string, blocks: number): void {
    const cache = this.cache(id);
    cache.capacity = capacityOf(blocks);
    cache.trim();
  }

  capacity(id: string): number {
    return this.members.get(id)?.capacity ?? capacityOf(this.defaultCapacity);
  }

  /** How many of the leading hashes (the first `length`) this member holds, consecutively from the first. */
  matchOne(id: string, hashes: ArrayLike<number>, length: number = hashes.length): number {
    const cache = this.members.get(id);
    if (cache === undefined || cache.size === 0) return 0;
    const n = Math.min(length, hashes.length);
    let k = 0;
    while (k < n && cache.has(hashes[k]! >>> 0)) k += 1;
    return k;
  }

  /** For each member, how many leading hashes it holds consecutively (stopping at its first miss). */
  match(hashes: ArrayLike<number>, memberIds: readonly string[], out: Int32Array = new Int32Array(memberIds.length)): Int32Array {
    for (let i = 0; i < memberIds.length; i += 1) out[i] = this.matchOne(memberIds[i]!, hashes);
    return out;
  }

  /**
   * Records that the member now holds these blocks: inserts or refreshes each, evicting its least
   * recently used ones beyond its capacity. The chain is recorded last block first, so its leading
   * blocks — shared by more prompts, and needed for any match at all — are the most recently used and
   * the last to go (a server's prefix cache likewise evicts the tail of a chain before its head).
   * `length`: record only the first so many (for a reused buffer).
   */
  record(id: string, hashes: ArrayLike<number>, length: number = hashes.length): void {
    const cache = this.cache(id);
    for (let i = Math.min(length, hashes.length) - 1; i >= 0; i -= 1) cache.touch(hashes[i]! >>> 0);
  }

  /** Forgets the member entirely (it left the pool, or restarted with an empty cache). */
  forget(id: string): void {
    this.members.delete(id);
  }

  /** Blocks held for the member now. */
  size(id: string): number {
    return this.members.get(id)?.size ?? 0;
  }
}
