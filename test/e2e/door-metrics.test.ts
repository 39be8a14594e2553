/**
 * What the front doors' requests look like in the metrics: `switchyard_requests_total` names the API in
 * its `operation` label (`messages`, `count_tokens`, `responses`), with the route and the deployment
 * that answered, and the tokens and cost of an answer count as any other's.
 */
import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { useTestGateway } from '../support/gateway.js';

const config = `
version: 1
simulators:
  claude: { kind: anthropic, model: claude-sonnet-4-5-20250929, ttft_ms: 1, tpot_ms: 1, output_tokens: 8 }
  llama: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 8 }
providers:
  anthropic: { type: anthropic, base_url: sim://claude }
  gpu: { type: vllm, base_url: sim://llama }
deployments:
  sonnet: { provider: anthropic, model: claude-sonnet-4-5-20250929, price: { input_per_mtok: 3, output_per_mtok: 15 } }
  llama: { provider: gpu, model: llama }
routes:
  claude: { targets: [sonnet] }
  llama: { targets: [llama] }
`;

const gw = useTestGateway(config);

function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('front doors in the metrics', () => {
  it('counts each door under its own operation, with the route and the deployment that answered', async () => {
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'any', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Count the wagons.' }];
    await anthropic.messages.create({ model: 'claude', max_tokens: 50, messages });
    await anthropic.messages.create({ model: 'llama', max_tokens: 50, messages });
    await anthropic.messages.countTokens({ model: 'claude', messages });
    await gw.client().responses.create({ model: 'llama', input: 'Count the wagons.' });

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const requests = (labels: Record<string, string>) => sample(metrics, 'switchyard_requests_total', { status_class: '2xx', ...labels });
    expect(requests({ route: 'claude', operation: 'messages', deployment: 'sonnet' })).toBe(1);
    expect(requests({ route: 'llama', operation: 'messages', deployment: 'llama' })).toBe(1);
    expect(requests({ route: 'claude', operation: 'count_tokens', deployment: 'sonnet' })).toBe(1);
    expect(requests({ route: 'llama', operation: 'responses', deployment: 'llama' })).toBe(1);
    // The native answer's usage counts like a translated one's: tokens, and cost at the deployment's price.
    expect(sample(metrics, 'switchyard_tokens_total', { route: 'claude', deployment: 'sonnet', type: 'output' })).toBe(8);
    expect(sample(metrics, 'switchyard_cost_usd_total', { route: 'claude', deployment: 'sonnet' })).toBeGreaterThan(0);
  });
});
