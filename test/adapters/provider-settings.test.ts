/**
 * What reaches an adapter: the provider's identity and the parsed output of its type's settings
 * schema, built once from the loaded config; the transport's keys stay with the transport.
 */
import { describe, expect, it } from 'vitest';
import { adapterFor, providerKindOf, providerKinds, providerTypes } from '../../adapters/index.js';
import { providerSettingsOf } from '../../adapters/provider-settings.js';
import { formatIssue, loadConfigText } from '../../config/loader.js';

const config = `version: 1
providers:
  gpu:
    type: vllm
    endpoints: [http://10.0.0.5:8000/v1, http://10.0.0.6:8000/v1]
    api_key: \${VLLM_KEY}
    headers: { X-Team: search, OpenAI-Organization: org-1 }
    max_connections: 8
    health_check: { interval_ms: 1000 }
  local: { type: ollama, base_url: "http://127.0.0.1:11434/v1" }
deployments:
  llama@gpu: { provider: gpu, model: llama }
routes:
  chat: { targets: [llama@gpu] }
`;

describe('providerSettingsOf', () => {
  const loaded = loadConfigText(config, 'sw.yaml', { VLLM_KEY: 'sk-vllm-key-1234' });
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  const { providers } = loaded.config;

  it('gives the adapter its own settings and the identity, nothing of the transport', () => {
    expect(providerSettingsOf('gpu', providers.gpu!)).toEqual({
      id: 'gpu',
      type: 'vllm',
      headers: { 'x-team': 'search', 'openai-organization': 'org-1' },
      api_key: 'sk-vllm-key-1234',
    });
  });

  it('leaves out an optional setting that was not given, as zod does', () => {
    const settings = providerSettingsOf('local', providers.local!);
    expect(settings).toEqual({ id: 'local', type: 'ollama', headers: {} });
    expect('api_key' in settings).toBe(false);
  });
});

describe('the registry', () => {
  it('lists every type once, each with its adapter and settings schema', () => {
    expect(providerTypes).toEqual(Object.keys(providerKinds));
    for (const type of providerTypes) {
      expect(providerKindOf(type).adapter.type).toBe(type);
      expect(adapterFor(type)).toBe(providerKindOf(type).adapter);
      expect(providerKindOf(type).settings.shape).toBeTypeOf('object');
    }
  });

  it('an unknown type names the known ones', () => {
    expect(() => adapterFor('bedrok')).toThrow(`unknown provider type 'bedrok' (known: ${providerTypes.join(', ')})`);
    expect(() => adapterFor('toString')).toThrow(/unknown provider type 'toString'/);
  });
});
