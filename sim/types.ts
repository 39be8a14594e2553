/**
 * The simulator's public contract: options, stats and the handle returned by `startSimulator`. The
 * demo, the end-to-end tests, the benchmark and the failover drills all code against these names.
 */
import { engineProfileNames, engineProfiles, isEngineProfileName } from './engine/profiles.js';
import type { EngineProfile } from './engine/types.js';
import type { Fault } from './faults.js';

/** The wire format a simulator speaks: OpenAI's (openai, vllm) or a provider's own (sim/native/). */
export type SimKind = 'openai' | 'vllm' | 'anthropic' | 'gemini' | 'azure' | 'bedrock';

export const simKinds: readonly SimKind[] = ['openai', 'vllm', 'anthropic', 'gemini', 'azure', 'bedrock'];

/**
 * How the simulated server continues a partial assistant answer, as each style of real server does:
 * `continue_final_message` (vLLM, SGLang; the default, whatever the kind), `last_assistant` (a final
 * assistant message is continued as it is: llama.cpp's server, OpenRouter), `prefix_flag` (only a
 * final assistant message with `prefix: true`; one without is refused, as Mistral does), `none`
 * (any final assistant message, or `continue_final_message`, is refused with a 400 about the last message).
 */
export type SimPrefillStyle = 'continue_final_message' | 'last_assistant' | 'prefix_flag' | 'none';

/** What a request asks the upstream to do; `other` is health, metrics and unknown paths. */
export type SimOperation = 'chat' | 'completions' | 'embeddings' | 'models' | 'other';

export interface SimulatorOptions {
  kind: SimKind;
  /** The served model name; the vllm kind 404s any other `model`. */
  model: string;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Time to first token, default 50. */
  ttftMs?: number;
  /** Time per output token, default 10. */
  tpotMs?: number;
  /** Tokens per answer unless max_tokens/max_completion_tokens is smaller; default 24. */
  outputTokens?: number;
  /**
   * vllm: sequences generating at once, the rest wait FIFO; default 16. With `engine`, vLLM's
   * max_num_seqs (default: the profile's, 256).
   */
  maxConcurrency?: number;
  /** vllm: KV capacity behind kv_cache_usage_perc; default 65536. */
  kvCacheTokens?: number;
  /** When set, /v1 requests need `Authorization: Bearer <apiKey>` or get 401. */
  apiKey?: string;
  /** Probability 0..1 of a 500 on any chat or legacy completion request; default 0. */
  failRate?: number;
  /** Seeds all randomness (failRate, fault probability); default 1. */
  seed?: number;
  /** Default 16. */
  embeddingDims?: number;
  /** How a partial assistant answer is continued; default continue_final_message. */
  prefill?: SimPrefillStyle;
  /**
   * Prompt tokens plus max_tokens allowed per request; more is answered 400 with the kind's
   * context-length error. Unset: no limit (the vllm kind still advertises min(32768, kvCacheTokens)).
   */
  maxModelLen?: number;
  /**
   * vllm kind: an engine profile (sim/engine/profiles.ts, e.g. `llama-3.1-8b-h100`). Set, the
   * timing comes from the engine model (continuous batching, paged KV cache with prefix caching,
   * fitted step times) instead of ttftMs/tpotMs, and /metrics is the engine's.
   */
  engine?: string;
  /** With `engine`: KV-cache blocks, to shrink the profile's cache (e.g. to provoke preemption). */
  kvBlocks?: number;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  kind: SimKind;
  model: string;
  host: string;
  port: number;
  ttftMs: number;
  tpotMs: number;
  outputTokens: number;
  maxConcurrency: number;
  kvCacheTokens: number;
  apiKey: string | undefined;
  failRate: number;
  seed: number;
  embeddingDims: number;
  prefill: SimPrefillStyle;
  maxModelLen: number | undefined;
  /** The engine profile (vllm kind with `engine` only). */
  engine: EngineProfile | undefined;
  kvBlocks: number | undefined;
  /** Whether maxConcurrency was given (with an engine it overrides the profile's max_num_seqs). */
  maxConcurrencySet: boolean;
}

/**
 * Counters since the last reset. `requests` and `byOperation` count every request but the /sim
 * admin API; `completed`, `aborted` and `inFlight` count the /v1 operations only (not health checks,
 * metrics scrapes or unknown paths).
 */
export interface SimStats {
  requests: number;
  byOperation: Record<SimOperation, number>;
  /** Responses fully sent, whatever their status (errors included). */
  completed: number;
  /** Requests whose client left before the response was fully sent (not resets or cuts we made). */
  aborted: number;
  inFlight: number;
  faultsApplied: number;
  /** Sequences generating now (vllm: at most maxConcurrency). */
  running: number;
  /** Sequences queued for a slot (vllm only; always 0 for openai). */
  waiting: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or null when there was none or it was not JSON. */
  body: unknown;
  /** Arrival time, ms since the epoch. */
  at: number;
}

export interface RunningSimulator {
  readonly kind: SimKind;
  readonly model: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:PORT */
  readonly origin: string;
  /** Base URL for OpenAI clients: `${origin}/v1`. */
  readonly url: string;
  stats(): SimStats;
  resetStats(): void;
  /** Replaces the fault list; throws on an invalid fault. */
  setFaults(faults: Fault[]): void;
  clearFaults(): void;
  /** The last 50 requests, oldest first. */
  recentRequests(): RecordedRequest[];
  /** Closes the server and destroys open sockets, hung requests included. */
  close(): Promise<void>;
}

export const simPrefillStyles: readonly SimPrefillStyle[] = ['continue_final_message', 'last_assistant', 'prefix_flag', 'none'];

function prefillStyle(value: SimPrefillStyle | undefined): SimPrefillStyle {
  if (value === undefined) return 'continue_final_message';
  if (!simPrefillStyles.includes(value))
    throw new RangeError(`simulator option prefill must be one of ${simPrefillStyles.join(', ')}, got ${String(value)}`);
  return value;
}

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const nonNegative = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`simulator option ${name} must be a number >= 0, got ${String(value)}`);
    return v;
  };
  const positiveInt = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`simulator option ${name} must be an integer >= 1, got ${String(value)}`);
    return v;
  };
  const port = (value: number): number => {
    if (!Number.isInteger(value) || value < 0 || value > 65535)
      throw new RangeError(`simulator option port must be an integer 0..65535, got ${String(value)}`);
    return value;
  };
  if (!simKinds.includes(options.kind))
    throw new RangeError(`simulator kind must be one of ${simKinds.join(', ')}, got ${String(options.kind)}`);
  if (typeof options.model !== 'string' || options.model === '') throw new RangeError('simulator option model must be a non-empty string');
  const failRate = nonNegative('failRate', options.failRate, 0);
  let engine: EngineProfile | undefined;
  if (options.engine !== undefined) {
    if (options.kind !== 'vllm') throw new RangeError(`simulator option engine needs kind vllm, got ${options.kind}`);
    if (!isEngineProfileName(options.engine))
      throw new RangeError(`simulator option engine must be one of ${engineProfileNames.join(', ')}, got ${String(options.engine)}`);
    engine = engineProfiles[options.engine];
  }
  if (failRate > 1) throw new RangeError(`simulator option failRate must be within 0..1, got ${failRate}`);
  return {
    kind: options.kind,
    model: options.model,
    host: options.host ?? '127.0.0.1',
    port: options.port === undefined ? 0 : port(options.port),
    ttftMs: nonNegative('ttftMs', options.ttftMs, 50),
    tpotMs: nonNegative('tpotMs', options.tpotMs, 10),
    outputTokens: positiveInt('outputTokens', options.outputTokens, 24),
    maxConcurrency: positiveInt('maxConcurrency', options.maxConcurrency, 16),
    kvCacheTokens: positiveInt('kvCacheTokens', options.kvCacheTokens, 65536),
    apiKey: options.apiKey === '' ? undefined : options.apiKey,
    failRate,
    seed: Math.trunc(nonNegative('seed', options.seed, 1)),
    embeddingDims: positiveInt('embeddingDims', options.embeddingDims, 16),
    prefill: prefillStyle(options.prefill),
    maxModelLen: options.maxModelLen === undefined ? undefined : positiveInt('maxModelLen', options.maxModelLen, 1),
    engine,
    kvBlocks: options.kvBlocks === undefined ? undefined : positiveInt('kvBlocks', options.kvBlocks, 1),
    maxConcurrencySet: options.maxConcurrency !== undefined,
  };
}
