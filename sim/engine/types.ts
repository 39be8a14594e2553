/**
 * The contract of the engine model (sim/engine/): a vLLM-like server reduced to what decides its
 * latency and throughput — continuous batching, a token budget per step, a paged KV cache with a
 * prefix cache — timed by a step-time model fitted on real hardware. The same engine runs on the wall
 * clock behind the vllm simulator's HTTP API, and on a virtual clock in `npm run bench:pool`.
 */

/** Time, in milliseconds, and timers on it: the wall clock (setTimeout) or a virtual one. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `delayMs` (0: as soon as possible, after the current call returns). */
  schedule(delayMs: number, fn: () => void): Timer;
}

export interface Timer {
  cancel(): void;
}

/** A model on a GPU: the step-time fit and the cache geometry (see profiles.ts for sources). */
export interface EngineProfile {
  readonly name: string;
  /** Fixed cost of one step, µs. */
  readonly beta0Us: number;
  /** Per uncached prompt (prefill) token in the step, µs. */
  readonly beta1Us: number;
  /** Per decode token in the step, µs. */
  readonly beta2Us: number;
  /** KV-cache blocks on the GPU(s). */
  readonly kvBlocks: number;
  /** Tokens per KV block (vLLM's default 16). */
  readonly blockSize: number;
  /** vLLM's max_num_seqs: sequences in the running batch at most. */
  readonly maxNumSeqs: number;
  /** vLLM's max_num_batched_tokens: prefill + decode tokens one step may process (chunked prefill). */
  readonly maxBatchedTokens: number;
  /** Where the numbers come from. */
  readonly source: string;
}

/** One request as the engine sees it. */
export interface EngineRequest {
  /** Prompt length in tokens. */
  readonly promptTokens: number;
  /**
   * Chained hashes of the prompt's full blocks (block `i` hashes blocks 0..i), one per `blockSize`
   * tokens: two prompts share cached blocks exactly as far as their hashes agree (engine/tokens.ts
   * makes them from text).
   */
  readonly blockHashes: readonly number[];
  /** Tokens to generate (the engine always generates exactly this many unless aborted). */
  readonly outputTokens: number;
  /** Called at the end of the step that produced token number `index` (0: the first token). */
  onToken(index: number, now: number): void;
  /** Called once when the last token has been produced (after its onToken). */
  onFinish(now: number): void;
}

export interface EngineHandle {
  /** The client went away: frees its slot and blocks (no more callbacks). */
  abort(): void;
}

/** What the engine's /metrics would say, as numbers. */
export interface EngineStats {
  readonly running: number;
  readonly waiting: number;
  /** Blocks in use by running sequences / all blocks, 0..1 (vllm:kv_cache_usage_perc). */
  readonly kvUsage: number;
  /** Prompt tokens looked up in the prefix cache, and found (vllm:prefix_cache_queries_total / _hits_total). */
  readonly prefixQueries: number;
  readonly prefixHits: number;
  readonly promptTokens: number;
  readonly generationTokens: number;
  readonly preemptions: number;
  readonly steps: number;
}
