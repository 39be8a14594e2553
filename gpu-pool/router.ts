/**
 * The GPU-pool router's decision: which member of a pool takes a request, or none because every member
 * is full (the pool is saturated and the request spills to the route's next candidate). Modelled on the
 * Gateway API Inference Extension's endpoint picker / llm-d scheduler (filter the full members out, then
 * a weighted sum of queue, KV-cache and prefix scorers) and on SGLang's cache-aware router (prefix
 * affinity, given up for the least loaded worker when the loads are too far apart).
 *
 * One decision, `decide`:
 * 1. Estimate each member's load now: its last scrape plus what this router sent it since (below), and
 *    drop the full ones (scorers.ts `fullness`). None left: `saturated`, with the most common reason.
 * 2. Hash the prompt into chained blocks (prefix-hash.ts) and match them against what each candidate is
 *    believed to hold (prefix-index.ts); look up the session's pin.
 * 3. Score each candidate Σ weight·scorer (queue, KV cache, LoRA: the load terms; prefix, session: the
 *    affinity terms) and take the best; ties go to the one with more affinity, then to the least
 *    recently picked member, then at random. The queue scorer compares every request at the server,
 *    running or waiting: this gateway's own, exact (its in-flight count), plus other clients' as the
 *    last scrape showed them beyond this gateway's then. (Waiting alone, the endpoint picker's measure,
 *    is equal everywhere until servers queue; the bench showed it piles a scrape interval's requests on
 *    one server, TTFT p90 +35 % against least-request on the no-reuse workload.)
 *    - Cold: no candidate holds any of the prompt's blocks and no session is pinned — decide on the load
 *      terms alone, so cold requests spread over the members (least recently picked first).
 *    - Hot spot: when the member the affinity terms favour waits more than `hotspotQueueGap` requests
 *      beyond the least loaded candidate, affinity is dropped and the load terms decide.
 * 4. Record the pick: the prompt's blocks go into the chosen member's LRU, its picks since its last
 *    scrape grow, the session is pinned to it.
 *
 * Estimates between scrapes: a scrape is a snapshot, and a burst sent right after it would all see the
 * same idle member. So per member the router counts the picks since its last scrape and the prompt
 * characters they brought that it did not already hold: estimated waiting = scraped waiting + those
 * picks still in flight (the gateway's own count: one answered since waits no more), less the places
 * free in its running batch once its batch limit is known (the most it was seen running while others
 * waited) — or, when the server publishes no queue, the gateway's own in-flight count; estimated KV use =
 * scraped use + those characters ÷ 4 (≈ tokens) ÷ the server's KV capacity in tokens (blockSize ·
 * gpuBlocks) when it publishes its cache geometry. A new scrape (`scraped`, or a changed `scrapedAt`)
 * resets the counts.
 *
 * Cost: the hashing is linear in the prompt up to maxBlocks·blockChars characters, the matching in the
 * blocks matched, the rest in the members; per-candidate arrays are kept and reused between decisions.
 */
import { hashPrefixBlocksInto } from './prefix-hash.js';
import { PrefixIndex } from './prefix-index.js';
import { fullness, kvCacheScores, loraScores, prefixScores, queueScores } from './scorers.js';
import type { ServerLoad } from './server-metrics.js';
import type { Decision, FullReason, PoolMember, PoolRequest, PoolRouting } from './types.js';

/**
 * A pool's routing settings when its config gives none. Origins:
 * - weights queue 2, kvCache 2, prefix 3: the GIE/llm-d default scheduling profile (queue-scorer and
 *   kv-cache-utilization-scorer at 2, prefix-cache-scorer at 3). lora 1 and session 2 are ours: LoRA
 *   affinity matters only to pools serving adapters (and is neutral otherwise), and a session pin weighs
 *   like one load term, so it holds against a small load difference but not a large one.
 * - maxQueue 16, maxKvCache 0.95, staleMs 2000: the GIE saturation detector's thresholds (queue depth 5,
 *   KV 0.8, metrics older than 200 ms) loosened for a gateway that scrapes about once a second and that
 *   has a cloud route to spill to: a member is full only when it is clearly so (vLLM preempts requests
 *   as its KV cache nears 100 %), and a scrape counts until two intervals are missed.
 * - blockChars 64, maxBlocks 256, lruBlocks 31250: the GIE prefix-cache plugin's defaults (block size
 *   64 characters, at most 256 blocks per prompt, an LRU of 31 250 blocks per server).
 * - hotspotQueueGap 8: ours, after SGLang's cache-aware router, which leaves cache affinity for the
 *   shortest queue when the loads are imbalanced (the busiest above the idlest by more than
 *   `balance_abs_threshold` and by more than a factor `balance_rel_threshold`); here only the absolute
 *   gap, between the favoured member and the least loaded, counts: 8 waiting requests, half of maxQueue.
 * - sessionHeader undefined: no session affinity unless a pool names its header.
 */
export const defaultPoolRouting: PoolRouting = {
  weights: { queue: 2, kvCache: 2, prefix: 3, lora: 1, session: 2 },
  maxQueue: 16,
  maxKvCache: 0.95,
  staleMs: 2000,
  blockChars: 64,
  maxBlocks: 256,
  lruBlocks: 31250,
  hotspotQueueGap: 8,
  sessionHeader: undefined,
};

/** Sessions pinned at most (least recently used ones are forgotten beyond it). */
export const SESSION_PINS = 100_000;
/** Characters per token, for the KV estimate and the index's capacity from a server's cache geometry. */
const CHARS_PER_TOKEN = 4;
/** Scores this close count as a tie. */
const EPSILON = 1e-9;
/** FullReason order, for ties in `saturation`. */
const REASONS: readonly FullReason[] = ['queue', 'kv_cache', 'stale', 'not_ready'];

type Why = Extract<Decision, { kind: 'pick' }>['why'];

interface MemberState {
  /** The scrape the counts below are relative to. */
  scrapedAt: number;
  picksSinceScrape: number;
  /** Prompt characters sent since the scrape that the member was not believed to hold. */
  charsSinceScrape: number;
  /** This gateway's requests in flight on it when the scrape was taken into account. */
  inFlightAtScrape: number;
  /** Pick sequence number of its last pick; 0: never picked. */
  lastPicked: number;
  /** The index capacity last set for it, in blocks. */
  capacity: number;
  /**
   * The most requests it was seen running while others waited: its batch limit (vLLM's max_num_seqs,
   * or what its KV cache allows), learnt from its scrapes; 0 until it has queued once.
   */
  batchLimit: number;
}

/** A scrape that shows requests waiting shows the batch full: its running count is the batch limit. */
function learnBatchLimit(member: PoolMember, state: MemberState): void {
  const load = member.load;
  if (load?.waiting !== undefined && load.waiting > 0 && load.running !== undefined && load.running > state.batchLimit)
    state.batchLimit = load.running;
}

export class PoolRouter {
  private readonly index: PrefixIndex;
  private readonly states = new Map<string, MemberState>();
  /** Session → member id, in least-recently-used order. */
  private readonly sessions = new Map<string, string>();
  private picks = 0;
  private readonly hashes: Uint32Array;
  private readonly scratch = { waiting: 0, outstanding: 0, kvUsage: 0 };
  /** Full members per reason, in REASONS order. */
  private readonly counts = new Int32Array(REASONS.length);

  // Per-candidate working arrays, reused between decisions (grown when a pool grows).
  private size = 0;
  private cand = new Int32Array(0);
  private waiting = new Float64Array(0);
  private outstanding = new Float64Array(0);
  private kv = new Float64Array(0);
  private matched = new Int32Array(0);
  private queue = new Float64Array(0);
  private kvScore = new Float64Array(0);
  private prefix = new Float64Array(0);
  private lora = new Float64Array(0);
  private loadScore = new Float64Array(0);
  private affinity = new Float64Array(0);
  private total = new Float64Array(0);
  private loads: (ServerLoad | undefined)[] = [];
  private candStates: MemberState[] = [];

  constructor(
    readonly routing: PoolRouting,
    private readonly now: () => number,
  ) {
    this.index = new PrefixIndex(routing.lruBlocks);
    this.hashes = new Uint32Array(Math.max(0, Math.floor(routing.maxBlocks)));
  }

  /** A new scrape of the member was written: its counts since the last scrape start over. */
  scraped(member: PoolMember): void {
    const state = this.state(member);
    state.scrapedAt = member.scrapedAt;
    state.picksSinceScrape = 0;
    state.charsSinceScrape = 0;
    state.inFlightAtScrape = member.inFlight;
    learnBatchLimit(member, state);
    this.syncCapacity(member, state);
  }

  /** The member left the pool (or restarted): forget its counts and what it was believed to hold. */
  forget(id: string): void {
    this.states.delete(id);
    this.index.forget(id);
  }

  /** Prefix blocks the member is believed to hold. */
  indexedBlocks(id: string): number {
    return this.index.size(id);
  }

  /** Undefined when some member can take work; else why most members are full (no hashing, no state change). */
  saturation(members: readonly PoolMember[]): FullReason | undefined {
    const now = this.now();
    const counts = this.counts.fill(0);
    for (const member of members) {
      const reason = this.full(member, this.state(member), now);
      if (reason === undefined) return undefined;
      counts[REASONS.indexOf(reason)]! += 1;
    }
    return mostCommon(counts);
  }

  /** One decision (see the module comment). `random` breaks the ties that recency does not. */
  decide(members: readonly PoolMember[], request: PoolRequest, random: () => number): Decision {
    const routing = this.routing;
    const weights = routing.weights;
    const now = this.now();
    this.ensure(members.length);
    const { cand, waiting, outstanding, kv, matched, loads, candStates } = this;

    // 1. Candidates: the members not full, with their estimates.
    const counts = this.counts.fill(0);
    let c = 0;
    for (let i = 0; i < members.length; i += 1) {
      const member = members[i]!;
      const state = this.state(member);
      const reason = this.full(member, state, now);
      if (reason !== undefined) {
        counts[REASONS.indexOf(reason)]! += 1;
        continue;
      }
      cand[c] = i;
      waiting[c] = this.scratch.waiting;
      outstanding[c] = this.scratch.outstanding;
      kv[c] = this.scratch.kvUsage;
      matched[c] = 0;
      loads[c] = member.load;
      candStates[c] = state;
      c += 1;
    }
    if (c === 0) return { kind: 'saturated', reason: mostCommon(counts) };

    // 2. Affinity: the session's pin, the prompt's blocks matched against each candidate.
    const session = weights.session > 0 ? request.session : undefined;
    let pinned = -1;
    if (session !== undefined) {
      const id = this.sessions.get(session);
      if (id !== undefined) for (let k = 0; k < c && pinned < 0; k += 1) if (members[cand[k]!]!.id === id) pinned = k;
    }
    // Hashed even for a single candidate: the pick must be recorded, or the index forgets what it holds.
    const blocks =
      weights.prefix > 0 ? hashPrefixBlocksInto(this.hashes, request.prompt, request.model, routing.blockChars, routing.maxBlocks) : 0;
    let anyMatch = false;
    if (blocks > 0) {
      for (let k = 0; k < c; k += 1) {
        const m = this.index.matchOne(members[cand[k]!]!.id, this.hashes, blocks);
        matched[k] = m;
        if (m > 0) anyMatch = true;
      }
    }

    // 3. Scores.
    const { queue, kvScore, prefix, lora, loadScore, affinity, total } = this;
    queueScores(outstanding, queue, c);
    kvCacheScores(kv, kvScore, c);
    if (weights.lora > 0) loraScores(loads, request.model, lora, c);
    else lora.fill(0, 0, c);
    prefixScores(matched, blocks, prefix, c);
    let minWaiting = Infinity;
    for (let k = 0; k < c; k += 1) {
      const s = weights.queue * queue[k]! + weights.kvCache * kvScore[k]! + weights.lora * lora[k]!;
      loadScore[k] = s;
      if (waiting[k]! < minWaiting) minWaiting = waiting[k]!;
    }

    let pick: number;
    let why: Why;
    if (!anyMatch && pinned < 0) {
      pick = this.best(loadScore, c, random);
      why = 'cold';
    } else {
      for (let k = 0; k < c; k += 1) {
        affinity[k] = weights.prefix * prefix[k]! + (k === pinned ? weights.session : 0);
        total[k] = loadScore[k]! + affinity[k]!;
      }
      const favoured = this.best(total, c, random, affinity);
      pick = waiting[favoured]! - minWaiting > routing.hotspotQueueGap ? this.best(loadScore, c, random) : favoured;
      why = pick !== favoured ? 'hotspot' : this.why(favoured, pinned, c);
    }

    // 4. Record.
    const member = members[cand[pick]!]!;
    const state = candStates[pick]!;
    const held = blocks > 0 ? matched[pick]! : 0;
    state.picksSinceScrape += 1;
    state.charsSinceScrape += Math.max(0, request.prompt.length - held * routing.blockChars);
    this.picks += 1;
    state.lastPicked = this.picks;
    if (blocks > 0) this.index.record(member.id, this.hashes, blocks);
    if (session !== undefined) this.pin(session, member.id);
    return { kind: 'pick', index: cand[pick]!, prefixBlocks: held, promptBlocks: blocks, why };
  }

  /** What made `favoured` the pick: the affinity terms when the load terms alone might have chosen another. */
  private why(favoured: number, pinned: number, c: number): Why {
    const { loadScore, prefix } = this;
    const prefixWeight = this.routing.weights.prefix;
    let loadRival = false; // another candidate at least as good on load alone
    let prefixRival = false; // ... or with load and prefix but no session
    const own = loadScore[favoured]!;
    const ownWithPrefix = own + prefixWeight * prefix[favoured]!;
    for (let k = 0; k < c; k += 1) {
      if (k === favoured) continue;
      if (loadScore[k]! >= own - EPSILON) loadRival = true;
      if (loadScore[k]! + prefixWeight * prefix[k]! >= ownWithPrefix - EPSILON) prefixRival = true;
    }
    if (!loadRival) return 'load';
    return favoured === pinned && prefixRival ? 'session' : 'prefix';
  }

  /**
   * The best-scoring candidate. Among ties: the one with the most affinity (when given: a tie in the
   * total goes to the member more likely to hold the prompt), then the least recently picked, then one
   * at random.
   */
  private best(scores: Float64Array, c: number, random: () => number, affinity?: Float64Array): number {
    let max = -Infinity;
    for (let k = 0; k < c; k += 1) if (scores[k]! > max) max = scores[k]!;
    let best = 0;
    let bestAffinity = -Infinity;
    let bestSeq = Infinity;
    let ties = 0;
    for (let k = 0; k < c; k += 1) {
      if (!(scores[k]! >= max - EPSILON)) continue;
      const a = affinity === undefined ? 0 : affinity[k]!;
      const seq = this.candStates[k]!.lastPicked;
      if (a > bestAffinity + EPSILON || (a >= bestAffinity - EPSILON && seq < bestSeq)) {
        best = k;
        bestAffinity = a;
        bestSeq = seq;
        ties = 1;
      } else if (a >= bestAffinity - EPSILON && seq === bestSeq) {
        ties += 1;
        if (random() * ties < 1) best = k; // reservoir: each tied one with probability 1/ties
      }
    }
    return best;
  }

  /** Fullness on the member's estimate, left in `scratch` for the caller. */
  private full(member: PoolMember, state: MemberState, now: number): FullReason | undefined {
    if (state.scrapedAt !== member.scrapedAt) {
      // A scrape the caller did not announce: the counts are relative to the previous one.
      state.scrapedAt = member.scrapedAt;
      state.picksSinceScrape = 0;
      state.charsSinceScrape = 0;
      state.inFlightAtScrape = member.inFlight;
      learnBatchLimit(member, state);
    }
    this.syncCapacity(member, state);
    const load = member.load;
    const scratch = this.scratch;
    // Picks since the scrape fill the free places of its running batch first, once its limit is known
    // (before that, each counts as waiting: a burst is not piled onto a server whose limit is unknown).
    const free = load?.running !== undefined && load.waiting === 0 ? Math.max(0, state.batchLimit - load.running) : 0;
    // Only picks still in flight count: one that has been answered since no longer waits.
    const pending = Math.min(state.picksSinceScrape, member.inFlight);
    scratch.waiting = load?.waiting !== undefined ? load.waiting + Math.max(0, pending - free) : member.inFlight;
    // What the queue scorer compares: every request at the server, running or waiting (its prefills and
    // decodes share each step).
    // This gateway's own share is exact now (its in-flight count); other clients' share is what the
    // scrape showed beyond this gateway's requests then.
    const others =
      load?.waiting !== undefined && load.running !== undefined ? Math.max(0, load.waiting + load.running - state.inFlightAtScrape) : 0;
    scratch.outstanding = member.inFlight + others;
    if (load?.kvUsage === undefined) scratch.kvUsage = Number.NaN;
    else {
      const tokens = kvTokens(load);
      scratch.kvUsage = load.kvUsage + (tokens > 0 ? state.charsSinceScrape / CHARS_PER_TOKEN / tokens : 0);
    }
    return fullness(member, scratch, this.routing, now);
  }

  private state(member: PoolMember): MemberState {
    let state = this.states.get(member.id);
    if (state === undefined) {
      state = {
        scrapedAt: member.scrapedAt,
        picksSinceScrape: 0,
        charsSinceScrape: 0,
        lastPicked: 0,
        capacity: Number.NaN,
        batchLimit: 0,
        inFlightAtScrape: 0,
      };
      this.states.set(member.id, state);
    }
    return state;
  }

  /** The index holds as many blocks for a member as its KV cache holds tokens, when it says; else lruBlocks. */
  private syncCapacity(member: PoolMember, state: MemberState): void {
    const tokens = member.load === undefined ? 0 : kvTokens(member.load);
    const capacity = tokens > 0 ? Math.max(1, Math.floor((tokens * CHARS_PER_TOKEN) / this.routing.blockChars)) : this.routing.lruBlocks;
    if (capacity !== state.capacity) {
      state.capacity = capacity;
      this.index.setCapacity(member.id, capacity);
    }
  }

  private pin(session: string, id: string): void {
    const sessions = this.sessions;
    sessions.delete(session);
    sessions.set(session, id);
    if (sessions.size > SESSION_PINS) {
      const oldest = sessions.keys().next();
      if (oldest.done !== true) sessions.delete(oldest.value);
    }
  }

  private ensure(n: number): void {
    if (n <= this.size) return;
    const size = Math.max(n, this.size * 2, 8);
    this.size = size;
    this.cand = new Int32Array(size);
    this.waiting = new Float64Array(size);
    this.outstanding = new Float64Array(size);
    this.kv = new Float64Array(size);
    this.matched = new Int32Array(size);
    this.queue = new Float64Array(size);
    this.kvScore = new Float64Array(size);
    this.prefix = new Float64Array(size);
    this.lora = new Float64Array(size);
    this.loadScore = new Float64Array(size);
    this.affinity = new Float64Array(size);
    this.total = new Float64Array(size);
    this.loads = new Array<ServerLoad | undefined>(size).fill(undefined);
    this.candStates = [];
  }
}

/** The server's KV capacity in tokens from its cache geometry; 0 when unknown. */
function kvTokens(load: ServerLoad): number {
  const { blockSize, gpuBlocks } = load;
  if (blockSize === undefined || gpuBlocks === undefined) return 0;
  const tokens = blockSize * gpuBlocks;
  return Number.isFinite(tokens) && tokens > 0 ? tokens : 0;
}

/** The most common reason; ties in FullReason order; none counted: not_ready (an empty pool). */
function mostCommon(counts: Int32Array): FullReason {
  let best = 3;
  let bestCount = 0;
  for (let r = 0; r < REASONS.length; r += 1) {
    if (counts[r]! > bestCount) {
      best = r;
      bestCount = counts[r]!;
    }
  }
  return REASONS[best]!;
}
