/**
 * One simulator's shared state: its options and flavour, the counters behind `stats()`, the last
 * requests it saw, its fault book, scheduler and random sources. Every per-request object reads and
 * updates this one place, so the HTTP admin API and the in-process handle always agree.
 */
import { wallClock } from './engine/clock.js';
import { Engine } from './engine/engine.js';
import { FaultBook } from './faults.js';
import { flavorOf, type SimFlavor } from './flavor.js';
import { createRandom, randomId, type Random } from './random.js';
import { Scheduler } from './scheduler.js';
import type { RecordedRequest, ResolvedOptions, SimOperation, SimStats } from './types.js';

const RECENT_LIMIT = 50;

/** The counts a simulator keeps itself; the rest of SimStats is derived when asked. */
export type Counters = Pick<SimStats, 'requests' | 'byOperation' | 'completed' | 'aborted' | 'inFlight' | 'faultsApplied'>;

const zeroByOperation = (): Record<SimOperation, number> => ({ chat: 0, completions: 0, embeddings: 0, models: 0, other: 0 });

export class SimContext {
  readonly flavor: SimFlavor;
  readonly scheduler: Scheduler;
  /** The engine model behind a vllm simulator with an `engine` profile (then the scheduler stays idle). */
  readonly engine: Engine | undefined;
  readonly faults: FaultBook;
  readonly counters: Counters = { requests: 0, byOperation: zeroByOperation(), completed: 0, aborted: 0, inFlight: 0, faultsApplied: 0 };
  /** Draws for failRate and fault probability: seeded, and nothing else consumes it. */
  readonly random: Random;
  /** Tool-call ids: separate from `random` so that answers never shift the fault draws. */
  readonly ids: Random;
  /** vLLM reports the model's creation as the server's start. */
  readonly startedAt = Math.floor(Date.now() / 1000);
  private readonly recent: RecordedRequest[] = [];
  private readonly idPrefix: string;
  private sequence = 0;

  constructor(readonly options: ResolvedOptions) {
    this.flavor = flavorOf(options.kind);
    this.random = createRandom(options.seed);
    this.ids = createRandom(options.seed ^ 0x5bd1e995);
    this.faults = new FaultBook(this.random);
    // The openai kind has no engine queue: every request generates at once.
    const concurrency = options.kind === 'vllm' ? options.maxConcurrency : Infinity;
    this.scheduler = new Scheduler(concurrency, options.kvCacheTokens);
    this.engine =
      options.kind === 'vllm' && options.engine !== undefined
        ? new Engine(options.engine, wallClock, {
            ...(options.maxConcurrencySet ? { maxNumSeqs: options.maxConcurrency } : {}),
            ...(options.kvBlocks !== undefined ? { kvBlocks: options.kvBlocks } : {}),
          })
        : undefined;
    this.idPrefix = randomId(createRandom(options.seed ^ 0x27d4eb2f ^ Date.now()), 10);
  }

  /** A unique id such as `chatcmpl-AbC…` (a counter after a per-simulator prefix: cheap and unique). */
  nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}${this.idPrefix}${this.sequence.toString(36).padStart(6, '0')}`;
  }

  /** The maximum context length the vllm kind advertises (and enforces, when set). */
  get maxModelLen(): number {
    return this.options.maxModelLen ?? Math.min(32768, this.engine ? this.engine.capacityTokens : this.options.kvCacheTokens);
  }

  record(request: RecordedRequest): void {
    if (this.recent.length >= RECENT_LIMIT) this.recent.shift();
    this.recent.push(request);
  }

  recentRequests(): RecordedRequest[] {
    return this.recent.slice();
  }

  stats(): SimStats {
    const c = this.counters;
    return {
      requests: c.requests,
      byOperation: { ...c.byOperation },
      completed: c.completed,
      aborted: c.aborted,
      inFlight: c.inFlight,
      faultsApplied: c.faultsApplied,
      running: this.engine ? this.engine.stats().running : this.scheduler.running,
      waiting: this.engine ? this.engine.stats().waiting : this.scheduler.waiting,
    };
  }

  /** Zeroes the counters; live figures (in flight, running, waiting) stay what they are. */
  resetStats(): void {
    const c = this.counters;
    c.requests = 0;
    c.byOperation = zeroByOperation();
    c.completed = 0;
    c.aborted = 0;
    c.faultsApplied = 0;
    this.recent.length = 0;
  }
}
