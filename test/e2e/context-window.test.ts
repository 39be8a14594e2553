/**
 * Context windows learnt from the upstream, end to end: a vLLM simulator with a small max_model_len
 * answers a too-long prompt with vLLM's context-length 400; the gateway fails over to a fallback of
 * another model whose window nobody declared, learns the primary's window (shown in /admin/state, kept
 * across a reload), and from then on skips the primary for prompts that surely do not fit, without a
 * call (the simulator's request count proves it).
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../support/gateway.js';

const adminKey = 'adm-0123456789abcdef';
const config = `
version: 1
server: { admin_key: "${adminKey}" }
simulators:
  gpu: { kind: vllm, model: small, ttft_ms: 1, tpot_ms: 0, output_tokens: 4, max_model_len: 1000 }
  cloud: { kind: openai, model: big, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
providers:
  gpu: { type: vllm, base_url: sim://gpu }
  cloud: { type: openai, base_url: sim://cloud }
deployments:
  small@gpu: { provider: gpu, model: small }
  big@cloud: { provider: cloud, model: big, allow_floating: true }
routes:
  chat: { targets: [small@gpu], fallbacks: [big@cloud] }
  only-small: { targets: [small@gpu] }
`;

const gw = useTestGateway(config);

/** About 2000 tokens by the simulator's count (four characters a token): twice the primary's window. */
const longPrompt = 'The quick brown fox jumps over the lazy dog. '.repeat(180);

const ask = (content: string, model = 'chat') =>
  gw
    .client()
    .chat.completions.create({ model, messages: [{ role: 'user', content }] })
    .withResponse();

async function stateOf(id: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gw.url}/admin/state`, { headers: { authorization: `Bearer ${adminKey}` } });
  const state = (await res.json()) as { deployments: Array<Record<string, unknown>> };
  return state.deployments.find((d) => d.id === id)!;
}

describe('context windows learnt from the upstream', () => {
  it('fails a too-long prompt over to another model with an unknown window, and learns the window', async () => {
    expect(await stateOf('small@gpu')).toMatchObject({ context_window: null, learned_context_window: null });
    const { data, response } = await ask(longPrompt);
    expect(data.choices[0]!.message.content).toEqual(expect.any(String));
    expect(response.headers.get('x-switchyard-deployment')).toBe('big@cloud');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(response.headers.get('x-switchyard-failed')).toBe('small@gpu:context_length');
    expect(gw.sim('gpu').stats().requests).toBe(1);
    expect(await stateOf('small@gpu')).toMatchObject({ context_window: null, learned_context_window: 1000 });
    expect(await stateOf('big@cloud')).toMatchObject({ learned_context_window: null });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_deployment_learned_context_window_tokens{deployment="small@gpu"} 1000');
  });

  it('then skips the primary for a prompt that surely does not fit, without a call', async () => {
    await ask(longPrompt);
    const calls = gw.sim('gpu').stats().requests;
    const { response } = await ask(longPrompt);
    expect(response.headers.get('x-switchyard-deployment')).toBe('big@cloud');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-switchyard-failed')).toBe('small@gpu:context_length');
    expect(gw.sim('gpu').stats().requests).toBe(calls);

    const short = await ask('Hello!');
    expect(short.response.headers.get('x-switchyard-deployment')).toBe('small@gpu');
    expect(gw.sim('gpu').stats().requests).toBe(calls + 1);
  });

  it('answers 400 context_length_exceeded, naming the window, when no candidate is left', async () => {
    await ask(longPrompt);
    const calls = gw.sim('gpu').stats().requests;
    const err = await ask(longPrompt, 'only-small').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect((err as Error).message).toContain('maximum context length is 1000 tokens');
    expect(gw.sim('gpu').stats().requests).toBe(calls);
  });

  it('keeps the learnt window across a config reload that keeps the deployment', async () => {
    await ask(longPrompt);
    gw.reload();
    expect(await stateOf('small@gpu')).toMatchObject({ learned_context_window: 1000 });
  });
});
