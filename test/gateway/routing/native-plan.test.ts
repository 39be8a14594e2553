/**
 * Front doors in planning: a request only a deployment speaking its wire can answer is planned on
 * those alone, one that can be translated on every deployment; and `count_tokens` is served exactly
 * where a deployment serves chat on an adapter that counts (Anthropic's), never configured.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText, formatIssue } from '../../../config/loader.js';
import { buildRuntime } from '../../../gateway/runtime/build.js';
import { planCandidates } from '../../../gateway/routing/plan.js';
import type { NativeRequest } from '../../../adapters/types.js';
import { seededRandom } from '../../support/seeded-random.js';

const text = `version: 1
providers:
  gpu: { type: vllm, base_url: "http://127.0.0.1:9/v1" }
  openai: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-test }
  claude: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-test }
deployments:
  llama: { provider: gpu, model: llama }
  gpt: { provider: openai, model: gpt-4o-2024-08-06 }
  sonnet: { provider: claude, model: claude-sonnet-4-5-20250929 }
  sonnet-embed-only: { provider: claude, model: claude-sonnet-4-5-20250929, operations: [embeddings] }
routes:
  mixed: { strategy: priority, targets: [llama, gpt, sonnet] }
  gpu-only: { targets: [llama] }
`;

function setup() {
  const loaded = loadConfigText(text, 'native-plan.yaml', {});
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  const rt = buildRuntime(loaded.config);
  const plan = (route: string, native?: NativeRequest, operation: 'chat' | 'count_tokens' = 'chat') =>
    planCandidates(rt.routes.get(route)!, operation, { inputTokens: 10, outputTokens: 10, stream: false }, 0, seededRandom(1), native).map(
      (d) => d.id,
    );
  return { rt, plan };
}

const native = (wire: NativeRequest['wire'], required: boolean): NativeRequest => ({
  wire,
  body: {},
  raw: Buffer.from('{}'),
  headers: {},
  required,
});

describe('planning a front door request', () => {
  it('plans every deployment for a request that can be translated', () => {
    const { plan } = setup();
    expect(plan('mixed', native('anthropic-messages', false))).toEqual(['llama', 'gpt', 'sonnet']);
    expect(plan('mixed', native('openai-responses', false))).toEqual(['llama', 'gpt', 'sonnet']);
  });

  it('plans only the deployments that speak the wire when the request needs it', () => {
    const { plan } = setup();
    expect(plan('mixed', native('anthropic-messages', true))).toEqual(['sonnet']);
    expect(plan('mixed', native('openai-responses', true))).toEqual(['gpt']);
    expect(plan('gpu-only', native('openai-responses', true))).toEqual([]);
  });

  it('serves count_tokens where an Anthropic deployment serves chat, and nowhere else', () => {
    const { rt, plan } = setup();
    expect([...rt.deployments.get('sonnet')!.operations]).toContain('count_tokens');
    expect(rt.deployments.get('sonnet-embed-only')!.operations.has('count_tokens')).toBe(false);
    expect(rt.deployments.get('gpt')!.operations.has('count_tokens')).toBe(false);
    expect(rt.routes.get('mixed')!.operations.has('count_tokens')).toBe(true);
    expect(rt.routes.get('gpu-only')!.operations.has('count_tokens')).toBe(false);
    expect(plan('mixed', native('anthropic-messages', true), 'count_tokens')).toEqual(['sonnet']);
  });
});
