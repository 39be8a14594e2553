/** `providers.<id>.pool`: defaults, and errors that name the line and say what to write. */
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';

const config = (provider: string) => `version: 1
providers:
  gpu:
${provider}
deployments:
  llama@gpu: { provider: gpu, model: llama }
routes:
  chat: { targets: [llama@gpu] }
`;

function load(provider: string) {
  return loadConfigText(config(provider), 'sw.yaml', {});
}

function errorsOf(provider: string): string[] {
  const r = load(provider);
  if (r.ok) throw new Error('expected errors');
  return r.errors.map(formatIssue);
}

describe('a GPU pool in the config', () => {
  it("gets the published picker's defaults", () => {
    const r = load('    type: vllm\n    endpoints: [http://10.0.0.1:8000/v1, http://10.0.0.2:8000/v1]\n    pool: {}');
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.config.providers['gpu']!.pool).toEqual({
      scrape: { interval_ms: 500, timeout_ms: 400, stale_ms: 2000, path: '/metrics' },
      readiness: { interval_ms: 2000, timeout_ms: 1000 },
      weights: { queue: 2, kv_cache: 2, prefix: 3, lora: 1, session: 2 },
      full_when: { queue: 16, kv_cache: 0.95 },
      prefix: { block_chars: 64, max_blocks: 256, lru_blocks: 31250 },
      hotspot_queue_gap: 8,
      spill: true,
    });
  });

  it('may find its servers by DNS alone, with no endpoints listed', () => {
    const r = load('    type: sglang\n    pool: { discovery: { dns: { name: sglang.internal, port: 30000 } } }');
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.config.providers['gpu']!.pool!.discovery!.dns).toMatchObject({
      name: 'sglang.internal',
      port: 30000,
      path: '/v1',
      interval_ms: 5000,
    });
  });

  it('refuses a scrape interval outside 250–1000 ms, at its line', () => {
    const errors = errorsOf('    type: vllm\n    endpoints: [http://10.0.0.1:8000/v1]\n    pool:\n      scrape: { interval_ms: 100 }');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^sw\.yaml:7:\d+: providers\.gpu\.pool\.scrape\.interval_ms: /);
  });

  it('asks whose metric names a server of another type publishes', () => {
    const errors = errorsOf('    type: openai-compatible\n    endpoints: [http://10.0.0.1:8000/v1]\n    pool: {}');
    expect(errors).toEqual([
      expect.stringContaining(
        'providers.gpu.pool.server: say whose metric names the servers publish: server: vllm | sglang | tgi | llamacpp',
      ),
    ]);
  });

  it('still needs some endpoints: a list, a base URL or discovery', () => {
    expect(errorsOf('    type: vllm\n    pool: {}')).toEqual([
      expect.stringContaining('providers.gpu: give exactly one of base_url or endpoints (a pool with discovery may leave both out)'),
    ]);
  });
});
