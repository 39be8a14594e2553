/**
 * A model of vLLM V1's engine: continuous batching under a token budget, chunked prefill, a paged KV
 * cache with a prefix cache, recompute preemption, and a step time from a fitted linear model
 * (profiles.ts). Clock-agnostic: the wall clock behind the HTTP simulator, a VirtualClock in benchmarks.
 *
 * The step loop runs only while there is work (no timer when idle). Each step, as vLLM V1's scheduler:
 *   1. running sequences first, in admission order: a prefill in progress takes its next chunk of the
 *      budget, a decoding one takes one token and, when it crosses a block boundary, a new KV block;
 *      when no block is free (after evicting cached free blocks) the most recently admitted running
 *      sequence is preempted (recompute: its blocks freed, back to the head of the waiting queue);
 *   2. then, if nothing was preempted, waiting ones first come first served while fewer than
 *      maxNumSeqs run, budget remains and their prompt's blocks can be allocated (the cached prefix is
 *      taken from the prefix cache; only the uncached tokens are prefilled, in chunks if need be).
 * Step time = β0 + β1·(prefill tokens in the step) + β2·(decode tokens in the step), µs. When the step
 * ends, sequences whose prefill completed produce their first token, decoding ones their next; a
 * finished sequence frees its blocks (its full prompt blocks stay cached) and gets onFinish.
 */
import { KvCache, type KvSequence } from './kv-cache.js';
import type { Clock, EngineHandle, EngineProfile, EngineRequest, EngineStats, Timer } from './types.js';

export interface EngineOptions {
  /** Overrides the profile's maxNumSeqs. */
  maxNumSeqs?: number;
  /** Overrides the profile's KV blocks (a smaller cache). */
  kvBlocks?: number;
  /** Overrides the profile's maxBatchedTokens. */
  maxBatchedTokens?: number;
}

const WAITING = 0;
const RUNNING = 1;
const DONE = 2;

class Sequence implements KvSequence, EngineHandle {
  readonly blocks: number[] = [];
  state = WAITING;
  /** Tokens this admission prefills: the prompt, plus what was generated before a preemption. */
  target = 0;
  /** Of `target`, computed (or found cached) so far. */
  computed = 0;
  generated = 0;
  /** Tokens scheduled in the current step. */
  chunk = 0;
  readonly outputTokens: number;

  constructor(
    readonly engine: Engine,
    readonly req: EngineRequest,
  ) {
    this.outputTokens = Math.max(1, Math.floor(req.outputTokens));
  }

  abort(): void {
    this.engine.abortSequence(this);
  }
}

/** A double-ended queue on a ring buffer: O(1) at both ends. */
class Deque<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  length = 0;

  front(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  pushBack(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & (this.items.length - 1)] = item;
    this.length++;
  }

  pushFront(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.length++;
  }

  popFront(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    return item;
  }

  remove(item: T): boolean {
    const mask = this.items.length - 1;
    for (let i = 0; i < this.length; i++) {
      if (this.items[(this.head + i) & mask] !== item) continue;
      for (let j = i; j < this.length - 1; j++) this.items[(this.head + j) & mask] = this.items[(this.head + j + 1) & mask];
      this.items[(this.head + this.length - 1) & mask] = undefined;
      this.length--;
      return true;
    }
    return false;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = next;
    this.head = 0;
  }
}

function promValue(value: number): string {
  if (Number.isInteger(value)) return `${value}.0`;
  return String(value);
}

export class Engine {
  readonly profile: EngineProfile;
  readonly maxNumSeqs: number;
  readonly maxBatchedTokens: number;
  readonly kv: KvCache;
  private readonly running: Sequence[] = [];
  private readonly waiting = new Deque<Sequence>();
  private scheduled: Sequence[] = [];
  private spare: Sequence[] = [];
  private timer: Timer | undefined;
  private finishing = false;
  private prefillInStep = 0;
  private decodeInStep = 0;
  private counts = { prefixQueries: 0, prefixHits: 0, promptTokens: 0, generationTokens: 0, preemptions: 0, steps: 0 };
  /** Time spent in steps, ms (busy time). */
  busyMs = 0;

  constructor(
    profile: EngineProfile,
    readonly clock: Clock,
    options: EngineOptions = {},
  ) {
    this.profile = profile;
    this.maxNumSeqs = options.maxNumSeqs ?? profile.maxNumSeqs;
    this.maxBatchedTokens = options.maxBatchedTokens ?? profile.maxBatchedTokens;
    this.kv = new KvCache(options.kvBlocks ?? profile.kvBlocks, profile.blockSize);
  }

  /** Whether a prompt of this many tokens can ever be admitted (its blocks fit in the whole cache). */
  fits(promptTokens: number): boolean {
    return Math.ceil(promptTokens / this.kv.blockSize) <= this.kv.totalBlocks;
  }

  /** Tokens the whole KV cache holds. */
  get capacityTokens(): number {
    return this.kv.totalBlocks * this.kv.blockSize;
  }

  submit(req: EngineRequest): EngineHandle {
    const seq = new Sequence(this, req);
    this.waiting.pushBack(seq);
    this.kick();
    return seq;
  }

  stats(): EngineStats {
    const c = this.counts;
    return {
      running: this.running.length,
      waiting: this.waiting.length,
      kvUsage: this.kv.usage,
      prefixQueries: c.prefixQueries,
      prefixHits: c.prefixHits,
      promptTokens: c.promptTokens,
      generationTokens: c.generationTokens,
      preemptions: c.preemptions,
      steps: c.steps,
    };
  }

  /** The engine's /metrics page: vLLM V1 metric names, a `model_name` label, prometheus_client's number format. */
  metricsText(model: string): string {
    const s = this.stats();
    const label = `model_name="${model.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
    const family = (name: string, type: string, help: string, value: number): string =>
      `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}{${label}} ${promValue(value)}\n`;
    const cacheLabels =
      `block_size="${this.kv.blockSize}",cache_dtype="auto",enable_prefix_caching="True",gpu_memory_utilization="0.9",` +
      `num_cpu_blocks="0",num_gpu_blocks="${this.kv.totalBlocks}",prefix_caching_hash_algo="builtin"`;
    return (
      family('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.', s.running) +
      family('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', s.waiting) +
      family('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', s.kvUsage) +
      family('vllm:prefix_cache_queries_total', 'counter', 'Prefix cache queries, in terms of number of queried tokens.', s.prefixQueries) +
      family('vllm:prefix_cache_hits_total', 'counter', 'Prefix cache hits, in terms of number of cached tokens.', s.prefixHits) +
      family('vllm:num_preemptions_total', 'counter', 'Cumulative number of preemption from the engine.', s.preemptions) +
      family('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', s.promptTokens) +
      family('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.', s.generationTokens) +
      `# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n# TYPE vllm:cache_config_info gauge\n` +
      `vllm:cache_config_info{${cacheLabels}} 1.0\n`
    );
  }

  /** Removes a sequence wherever it is: no more callbacks. */
  abortSequence(seq: Sequence): void {
    if (seq.state === WAITING) this.waiting.remove(seq);
    else if (seq.state === RUNNING) {
      this.removeRunning(seq);
      this.kv.free(seq);
    }
    seq.state = DONE;
  }

  private kick(): void {
    if (this.timer === undefined && !this.finishing) this.timer = this.clock.schedule(0, this.runStep);
  }

  private readonly runStep = (): void => {
    this.timer = undefined;
    if (!this.schedule()) return;
    const p = this.profile;
    const durationMs = (p.beta0Us + p.beta1Us * this.prefillInStep + p.beta2Us * this.decodeInStep) / 1000;
    this.busyMs += durationMs;
    this.counts.steps += 1;
    this.timer = this.clock.schedule(durationMs, this.finishStep);
  };

  /** Picks this step's batch into `scheduled`. False when there is nothing to run. */
  private schedule(): boolean {
    const kv = this.kv;
    const blockSize = kv.blockSize;
    const running = this.running;
    const scheduled = this.scheduled;
    scheduled.length = 0;
    let budget = this.maxBatchedTokens;
    let prefill = 0;
    let decode = 0;
    let preempted = false;
    for (let i = 0; i < running.length && budget > 0; i++) {
      const seq = running[i]!;
      if (seq.computed < seq.target) {
        const n = Math.min(seq.target - seq.computed, budget);
        seq.chunk = n;
        budget -= n;
        prefill += n;
        scheduled.push(seq);
        continue;
      }
      // Decode: the newest token's KV goes into the cache this step.
      const need = seq.req.promptTokens + seq.generated;
      let self = false;
      while (!kv.ensure(seq, need)) {
        const victim = running[running.length - 1]!;
        if (victim === seq) {
          // Alone and still short: it decodes over-committed rather than preempting itself forever.
          if (running.length === 1) break;
          self = true;
        }
        this.preempt(victim);
        preempted = true;
        if (self) break;
      }
      if (self) break;
      seq.chunk = 1;
      budget -= 1;
      decode += 1;
      scheduled.push(seq);
    }
    if (!preempted) {
      const waiting = this.waiting;
      while (waiting.length > 0 && running.length < this.maxNumSeqs && budget > 0) {
        const seq = waiting.front()!;
        const target = seq.req.promptTokens + seq.generated;
        // At least the last token is computed, as vLLM does even for a fully cached prompt.
        const hits = kv.allocatePrompt(seq, seq.req.blockHashes, target, Math.floor((target - 1) / blockSize));
        if (hits < 0) break;
        waiting.popFront();
        this.counts.prefixQueries += target;
        this.counts.prefixHits += hits * blockSize;
        seq.state = RUNNING;
        seq.target = target;
        seq.computed = hits * blockSize;
        running.push(seq);
        const n = Math.min(target - seq.computed, budget);
        seq.chunk = n;
        budget -= n;
        prefill += n;
        scheduled.push(seq);
      }
    }
    this.prefillInStep = prefill;
    this.decodeInStep = decode;
    return scheduled.length > 0;
  }

  private preempt(seq: Sequence): void {
    this.running.pop();
    this.kv.free(seq);
    seq.state = WAITING;
    seq.computed = 0;
    seq.target = 0;
    this.waiting.pushFront(seq);
    this.counts.preemptions += 1;
  }

  private removeRunning(seq: Sequence): void {
    const at = this.running.indexOf(seq);
    if (at >= 0) this.running.splice(at, 1);
  }

  private readonly finishStep = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    // Callbacks may submit or abort: the batch is swapped out first, and no step starts until the end.
    const batch = this.scheduled;
    this.scheduled = this.spare;
    this.spare = batch;
    this.finishing = true;
    const c = this.counts;
    const blockSize = this.kv.blockSize;
    for (let i = 0; i < batch.length; i++) {
      const seq = batch[i]!;
      if (seq.state !== RUNNING) continue;
      const req = seq.req;
      if (seq.computed < seq.target) {
        seq.computed += seq.chunk;
        this.kv.cacheComputed(seq, req.blockHashes, Math.floor(Math.min(seq.computed, req.promptTokens) / blockSize));
        if (seq.computed < seq.target) continue;
        if (seq.generated === 0) c.promptTokens += req.promptTokens;
      }
      const index = seq.generated;
      seq.generated += 1;
      c.generationTokens += 1;
      req.onToken(index, now);
      if (seq.state !== RUNNING || seq.generated < seq.outputTokens) continue;
      seq.state = DONE;
      this.removeRunning(seq);
      this.kv.free(seq);
      req.onFinish(now);
    }
    batch.length = 0;
    this.finishing = false;
    if (this.running.length > 0 || this.waiting.length > 0) this.runStep();
  };
}
