/**
 * Reading servers' `/metrics` pages: the exposition format's corners (labels with escapes, NaN and
 * Inf, timestamps, CRLF, a broken line among good ones), and each server type's load read from a page
 * shaped like its own (metric names from each server's documentation).
 */
import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../gpu-pool/prometheus-text.js';
import { readServerLoad, wantedMetrics } from '../../gpu-pool/server-metrics.js';
import { startSimulator } from '../../sim/index.js';

describe('the Prometheus text format', () => {
  it('reads names, labels and values, and skips comments, HELP and TYPE', () => {
    const page = [
      '# HELP demo_total A demo.',
      '# TYPE demo_total counter',
      'demo_total{model_name="m",path="a\\"b\\\\c\\nd"} 12',
      'demo_total{model_name="n"} 3.5e+02 1712345678000',
      'plain 7',
      'weird NaN',
      'big +Inf',
      '',
    ].join('\n');
    const samples = parsePrometheusText(page);
    expect(samples.get('demo_total')).toEqual([
      { labels: { model_name: 'm', path: 'a"b\\c\nd' }, value: 12 },
      { labels: { model_name: 'n' }, value: 350 },
    ]);
    expect(samples.get('plain')).toEqual([{ labels: {}, value: 7 }]);
    expect(samples.get('weird')?.[0]?.value).toBeNaN();
    expect(samples.get('big')?.[0]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(samples.has('# HELP demo_total A demo.')).toBe(false);
  });

  it('keeps only the wanted metrics, reads CRLF pages, and skips a broken line without losing the rest', () => {
    const page = 'a{x="1"} 1\r\nb{x="unterminated} 2\r\nc{} notanumber\r\nd 4\r\n';
    const samples = parsePrometheusText(page, new Set(['a', 'b', 'c', 'd']));
    expect([...samples.keys()]).toEqual(['a', 'd']);
    expect(parsePrometheusText(page, new Set(['d'])).get('d')).toEqual([{ labels: {}, value: 4 }]);
  });
});

const vllmPage = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 5.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.4375
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 120000.0
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 90000.0
# TYPE vllm:cache_config_info gauge
vllm:cache_config_info{block_size="16",cache_dtype="auto",engine="0",enable_prefix_caching="True",num_gpu_blocks="29205"} 1.0
# TYPE vllm:lora_requests_info gauge
vllm:lora_requests_info{max_lora="4",running_lora_adapters="",waiting_lora_adapters=""} 1.7e+09
vllm:lora_requests_info{max_lora="4",running_lora_adapters="sql-lora,chat-lora",waiting_lora_adapters=""} 1.8e+09
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{le="0.001",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.0
`;

describe('reading each server type', () => {
  it('vLLM: queue, batch, KV use, prefix-cache counters, cache geometry and the LoRAs running now', () => {
    expect(readServerLoad('vllm', vllmPage)).toEqual({
      waiting: 2,
      running: 5,
      kvUsage: 0.4375,
      prefixHits: 90000,
      prefixQueries: 120000,
      prefixHitRate: undefined,
      blockSize: 16,
      gpuBlocks: 29205,
      loras: ['sql-lora', 'chat-lora'],
      maxLoras: 4,
    });
  });

  it('vLLM before its V1 engine: the older KV and prefix-cache names', () => {
    const page =
      'vllm:num_requests_waiting 1\nvllm:num_requests_running 3\nvllm:gpu_cache_usage_perc 0.9\nvllm:gpu_prefix_cache_hits_total 5\nvllm:gpu_prefix_cache_queries_total 10\n';
    expect(readServerLoad('vllm', page)).toMatchObject({
      waiting: 1,
      running: 3,
      kvUsage: 0.9,
      prefixHits: 5,
      prefixQueries: 10,
      loras: [],
    });
  });

  it('SGLang: its queue, running requests, token (KV) usage and its own hit rate, summed over engines', () => {
    const page = [
      'sglang:num_running_reqs{model_name="m",tp_rank="0"} 7',
      'sglang:num_running_reqs{model_name="m",tp_rank="1"} 1',
      'sglang:num_queue_reqs{model_name="m"} 4',
      'sglang:token_usage{model_name="m"} 0.28',
      'sglang:cache_hit_rate{model_name="m"} 0.0075',
    ].join('\n');
    expect(readServerLoad('sglang', page)).toMatchObject({
      waiting: 4,
      running: 8,
      kvUsage: 0.28,
      prefixHitRate: 0.0075,
      prefixHits: undefined,
    });
  });

  it('TGI: queue and batch size; no KV share published', () => {
    const page = '# TYPE tgi_queue_size gauge\ntgi_queue_size 6\ntgi_batch_current_size 32\ntgi_batch_current_max_tokens 16000\n';
    expect(readServerLoad('tgi', page)).toMatchObject({ waiting: 6, running: 32, kvUsage: undefined });
  });

  it('llama.cpp: deferred and processing requests, and the KV ratio where the build publishes it', () => {
    const page = 'llamacpp:requests_processing 2\nllamacpp:requests_deferred 9\nllamacpp:kv_cache_usage_ratio 0.61\n';
    expect(readServerLoad('llamacpp', page)).toMatchObject({ waiting: 9, running: 2, kvUsage: 0.61 });
    expect(readServerLoad('llamacpp', 'llamacpp:requests_processing 0\n')).toMatchObject({ waiting: undefined, kvUsage: undefined });
  });

  it('reads nothing from a page of another server, and keeps only the metrics it reads', () => {
    expect(readServerLoad('tgi', vllmPage)).toMatchObject({ waiting: undefined, running: undefined, kvUsage: undefined });
    expect(wantedMetrics('vllm').has('vllm:time_to_first_token_seconds_bucket')).toBe(false);
    expect(wantedMetrics('vllm').has('vllm:kv_cache_usage_perc')).toBe(true);
  });
});

describe("the vllm simulator's own page", () => {
  it('reads as a vLLM server: the three measures the router needs are there', async () => {
    const sim = await startSimulator({ kind: 'vllm', model: 'm', ttftMs: 1, tpotMs: 1 });
    try {
      const page = await (await fetch(`${sim.origin}/metrics`)).text();
      const load = readServerLoad('vllm', page);
      expect(load.waiting).toBe(0);
      expect(load.running).toBe(0);
      expect(load.kvUsage).toBe(0);
    } finally {
      await sim.close();
    }
  });
});
