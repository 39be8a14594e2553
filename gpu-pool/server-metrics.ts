/**
 * What a self-hosted inference server says about its own load on `/metrics`, read the same way for
 * every server type: requests waiting and running, the share of its KV cache in use, its prefix-cache
 * counters, its cache geometry and the LoRA adapters it has loaded. Which metric says what is data per
 * server type (`serverMetricNames`), taken from each server's documentation; a name list is tried in
 * order, so a renamed metric (vLLM's `gpu_cache_usage_perc` became `kv_cache_usage_perc` in its V1
 * engine) is one more entry. A server that does not publish a measure leaves it undefined: the router
 * then falls back on what the gateway itself counts (its in-flight requests).
 *
 * Sources: vLLM "Production Metrics" (docs.vllm.ai, V1 metrics); SGLang "Production Metrics"
 * (docs.sglang.io); TGI "Metrics" (huggingface.co/docs/text-generation-inference/reference/metrics);
 * llama.cpp `tools/server/README.md` ("GET /metrics", with `--metrics`).
 */
import { parsePrometheusText, type MetricSamples } from './prometheus-text.js';

export type ServerType = 'vllm' | 'sglang' | 'tgi' | 'llamacpp';

interface MetricNames {
  /** Requests queued, not yet scheduled. */
  readonly waiting: readonly string[];
  /** Requests being generated (the running batch). */
  readonly running: readonly string[];
  /** KV-cache use as a fraction 0..1. */
  readonly kvUsage: readonly string[];
  /** Cumulative prefix-cache hits and queries (tokens), for a hit rate between two scrapes. */
  readonly prefixHits: readonly string[];
  readonly prefixQueries: readonly string[];
  /** A prefix-cache hit rate the server computes itself (0..1), where it publishes no counters. */
  readonly prefixHitRate: readonly string[];
  /** An info metric whose labels give the cache geometry (`block_size`, `num_gpu_blocks`). */
  readonly cacheInfo: readonly string[];
  /** An info metric whose labels list the LoRA adapters in use (`running_lora_adapters`, `max_lora`). */
  readonly loraInfo: readonly string[];
}

const none: readonly string[] = [];

export const serverMetricNames: Readonly<Record<ServerType, MetricNames>> = {
  vllm: {
    waiting: ['vllm:num_requests_waiting'],
    running: ['vllm:num_requests_running'],
    kvUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
    prefixHits: ['vllm:prefix_cache_hits_total', 'vllm:gpu_prefix_cache_hits_total'],
    prefixQueries: ['vllm:prefix_cache_queries_total', 'vllm:gpu_prefix_cache_queries_total'],
    prefixHitRate: none,
    cacheInfo: ['vllm:cache_config_info'],
    loraInfo: ['vllm:lora_requests_info'],
  },
  sglang: {
    waiting: ['sglang:num_queue_reqs'],
    running: ['sglang:num_running_reqs'],
    kvUsage: ['sglang:token_usage'],
    prefixHits: none,
    prefixQueries: none,
    prefixHitRate: ['sglang:cache_hit_rate'],
    cacheInfo: none,
    loraInfo: none,
  },
  tgi: {
    waiting: ['tgi_queue_size'],
    running: ['tgi_batch_current_size'],
    kvUsage: none,
    prefixHits: none,
    prefixQueries: none,
    prefixHitRate: none,
    cacheInfo: none,
    loraInfo: none,
  },
  llamacpp: {
    waiting: ['llamacpp:requests_deferred'],
    running: ['llamacpp:requests_processing'],
    kvUsage: ['llamacpp:kv_cache_usage_ratio'],
    prefixHits: none,
    prefixQueries: none,
    prefixHitRate: none,
    cacheInfo: none,
    loraInfo: none,
  },
};

/** One scrape of one server, in the router's terms. Undefined: the server does not publish it. */
export interface ServerLoad {
  readonly waiting: number | undefined;
  readonly running: number | undefined;
  readonly kvUsage: number | undefined;
  readonly prefixHits: number | undefined;
  readonly prefixQueries: number | undefined;
  readonly prefixHitRate: number | undefined;
  /** Tokens per KV block and blocks on the GPU, from the cache info metric. */
  readonly blockSize: number | undefined;
  readonly gpuBlocks: number | undefined;
  /** LoRA adapters running now (vLLM), and how many it may hold at once. */
  readonly loras: readonly string[];
  readonly maxLoras: number | undefined;
}

/** A load that says only what is given: every other measure unpublished (tests, the benchmark). */
export function serverLoad(known: Partial<ServerLoad> = {}): ServerLoad {
  return {
    waiting: undefined,
    running: undefined,
    kvUsage: undefined,
    prefixHits: undefined,
    prefixQueries: undefined,
    prefixHitRate: undefined,
    blockSize: undefined,
    gpuBlocks: undefined,
    loras: [],
    maxLoras: undefined,
    ...known,
  };
}

/** Every metric name a server type's scrape needs (what the parser keeps). */
export function wantedMetrics(type: ServerType): ReadonlySet<string> {
  return new Set(Object.values(serverMetricNames[type]).flat());
}

function firstPresent(samples: MetricSamples, names: readonly string[]) {
  for (const name of names) {
    const found = samples.get(name);
    if (found !== undefined && found.length > 0) return found;
  }
  return undefined;
}

/** Counts add up over the label sets a page has (one per model or engine); shares take the highest. */
function sum(samples: MetricSamples, names: readonly string[]): number | undefined {
  const found = firstPresent(samples, names);
  return found?.reduce((total, s) => total + (Number.isFinite(s.value) ? s.value : 0), 0);
}

function max(samples: MetricSamples, names: readonly string[]): number | undefined {
  const found = firstPresent(samples, names)?.filter((s) => Number.isFinite(s.value));
  return found === undefined || found.length === 0 ? undefined : Math.max(...found.map((s) => s.value));
}

function labelNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads one `/metrics` page of a server of this type. */
export function readServerLoad(type: ServerType, page: string): ServerLoad {
  const names = serverMetricNames[type];
  const samples = parsePrometheusText(page, wantedMetrics(type));
  const cache = firstPresent(samples, names.cacheInfo)?.[0]?.labels;
  // vLLM writes one lora_requests_info sample per change, its value the time of the change: the latest counts.
  const lora = firstPresent(samples, names.loraInfo)?.reduce((a, b) => (b.value >= a.value ? b : a)).labels;
  const running = lora?.['running_lora_adapters'] ?? '';
  return {
    waiting: sum(samples, names.waiting),
    running: sum(samples, names.running),
    kvUsage: max(samples, names.kvUsage),
    prefixHits: sum(samples, names.prefixHits),
    prefixQueries: sum(samples, names.prefixQueries),
    prefixHitRate: max(samples, names.prefixHitRate),
    blockSize: labelNumber(cache?.['block_size']),
    gpuBlocks: labelNumber(cache?.['num_gpu_blocks']),
    loras: running === '' ? [] : running.split(',').map((name) => name.trim()),
    maxLoras: labelNumber(lora?.['max_lora']),
  };
}
