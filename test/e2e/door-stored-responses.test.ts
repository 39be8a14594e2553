/**
 * Stored Responses state lives at OpenAI, never in the gateway: `store: true` and
 * `previous_response_id` are planned only on a deployment that speaks the Responses API (the
 * fallback on another vendor is left out), `GET /v1/responses/{id}` at the gateway says where a stored
 * response is read, and the pass-through reads it there with the provider's credentials.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { useTestGateway } from '../support/gateway.js';

const config = `
version: 1
simulators:
  cloud: { kind: openai, model: gpt-4o-mini-2024-07-18, ttft_ms: 1, tpot_ms: 1, output_tokens: 12, api_key: "\${OPENAI_API_KEY}" }
  llama: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 12 }
providers:
  cloud: { type: openai, base_url: sim://cloud, api_key: "\${OPENAI_API_KEY}" }
  gpu: { type: vllm, base_url: sim://llama }
deployments:
  gpt: { provider: cloud, model: gpt-4o-mini-2024-07-18 }
  llama: { provider: gpu, model: llama }
routes:
  gpt-then-llama: { targets: [gpt], fallbacks: [llama], retries: { same_deployment: 0 } }
passthrough:
  cloud: { paths: [/v1/responses] }
`;

const gw = useTestGateway(config, { OPENAI_API_KEY: 'sk-provider-key' });

describe('stored responses through the gateway', () => {
  it('keeps a stored conversation at OpenAI, and reads it back through the pass-through', async () => {
    const client = gw.client();
    const first = await client.responses.create({ model: 'gpt-then-llama', input: 'Remember the number 7.', store: true });
    const next = await client.responses.create({ model: 'gpt-then-llama', previous_response_id: first.id, input: 'Which number?' });
    expect(next.output_text.length).toBeGreaterThan(0);
    const sent = gw.sim('cloud').recentRequests().at(-1)?.body as Record<string, unknown>;
    expect(sent['previous_response_id']).toBe(first.id);

    // The gateway keeps nothing: its own /v1/responses/{id} says where to look.
    const own = await fetch(`${gw.baseURL}/responses/${first.id}`);
    expect(own.status).toBe(404);
    const error = ((await own.json()) as { error: { message: string } }).error;
    expect(error.message).toContain('/passthrough/{provider}/v1/responses/');

    const through = new OpenAI({ baseURL: `${gw.url}/passthrough/cloud/v1`, apiKey: 'client-key', maxRetries: 0 });
    const stored = await through.responses.retrieve(first.id);
    expect(stored.id).toBe(first.id);
    expect(stored.status).toBe('completed');
    // The provider's key went upstream, never the client's.
    const retrieved = gw.sim('cloud').recentRequests().at(-1)!;
    expect(retrieved).toMatchObject({ method: 'GET', path: `/v1/responses/${first.id}` });
    expect(retrieved.headers['authorization']).toBe('Bearer sk-provider-key');
    expect(JSON.stringify(retrieved)).not.toContain('client-key');
  });

  it('does not fail a stored-state request over to a deployment that cannot hold it', async () => {
    gw.sim('cloud').setFaults([{ type: 'error', status: 503, count: 5 }]);
    const llamaBefore = gw.sim('llama').recentRequests().length;
    const err = await gw
      .client()
      .responses.create({ model: 'gpt-then-llama', input: 'Hi', store: true })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect(gw.sim('llama').recentRequests()).toHaveLength(llamaBefore);
    // Without stored state the same request fails over to the GPU pool.
    gw.sim('cloud').setFaults([{ type: 'error', status: 503, count: 5 }]);
    const answer = await gw.client().responses.create({ model: 'gpt-then-llama', input: 'Hi', store: false });
    expect(answer.output_text.length).toBeGreaterThan(0);
    expect(gw.sim('llama').recentRequests().length).toBe(llamaBefore + 1);
  });
});
