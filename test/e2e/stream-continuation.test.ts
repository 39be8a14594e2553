/**
 * A stream cut mid-answer is finished on another deployment so the client receives one complete answer:
 * by prefill on a deployment that can continue an assistant message (vLLM's continue_final_message),
 * or by a held-back replay of a deterministic request; otherwise the stream ends with an error event.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { useTestGateway } from '../support/gateway.js';

const config = `
version: 1
simulators:
  v1: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
  v2: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
  o:  { kind: openai, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
providers:
  v1: { type: vllm, base_url: sim://v1 }
  v2: { type: vllm, base_url: sim://v2 }
  o:  { type: openai, base_url: sim://o }
deployments:
  first: { provider: v1, model: llama, capabilities: [prefill] }
  second: { provider: v2, model: llama, capabilities: [prefill] }
  plain: { provider: o, model: llama }
routes:
  prefill: { targets: [first], fallbacks: [second], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  replay: { targets: [first], fallbacks: [plain], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  reference: { targets: [second] }
  tight: { targets: [first], fallbacks: [second], timeouts: { first_token_ms: 5000, idle_ms: 5000, total_ms: 1500 } }
`;

const gw = useTestGateway(config);

/** The attempts counter's value for one route, deployment and outcome. */
async function attemptsOf(route: string, deployment: string, outcome: string): Promise<number> {
  const { values } = await gw.deps.metrics.attempts.get();
  return values.find((v) => v.labels.route === route && v.labels.deployment === deployment && v.labels.outcome === outcome)?.value ?? 0;
}

const messages = [{ role: 'user' as const, content: 'Tell me about rail yards at length.' }];

async function streamText(model: string, extra: { temperature?: number } = {}) {
  const stream = await gw.client().chat.completions.create({ model, messages, stream: true, ...extra });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  for (const c of chunks) expectSchema('CreateChatCompletionStreamResponse', c);
  return {
    chunks,
    text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''),
    roles: chunks.filter((c) => c.choices[0]?.delta.role !== undefined).length,
    finishes: chunks.filter((c) => c.choices[0]?.finish_reason != null).length,
    ids: new Set(chunks.map((c) => c.id)).size,
  };
}

describe('stream continuation', () => {
  it('finishes a stream cut mid-answer on a prefill-capable fallback: one complete answer', async () => {
    const reference = (await gw.client().chat.completions.create({ model: 'reference', messages })).choices[0]!.message.content!;
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    const got = await streamText('prefill');
    expect(got.text).toBe(reference);
    expect(got.roles).toBe(1);
    expect(got.finishes).toBe(1);
    expect(got.ids).toBe(1);
    const sent = gw.sim('v2').recentRequests().at(-1)!.body as {
      messages: Array<{ role: string; content: string }>;
      continue_final_message: boolean;
      add_generation_prompt: boolean;
    };
    expect(sent.continue_final_message).toBe(true);
    expect(sent.add_generation_prompt).toBe(false);
    expect(sent.messages.at(-1)!.role).toBe('assistant');
    expect(reference.startsWith(sent.messages.at(-1)!.content)).toBe(true);
    expect(sent.messages.at(-1)!.content.length).toBeGreaterThan(0);
  });

  it('replays a deterministic request elsewhere, holding back what the client already has', async () => {
    const reference = (await gw.client().chat.completions.create({ model: 'reference', messages, temperature: 0 })).choices[0]!.message
      .content!;
    gw.sim('v1').setFaults([{ type: 'stall', after_chunks: 6 }]);
    const got = await streamText('replay', { temperature: 0 });
    expect(got.text).toBe(reference);
    expect(got.roles).toBe(1);
    expect(got.finishes).toBe(1);
    const replayed = gw.sim('o').recentRequests().at(-1)!.body as Record<string, unknown>;
    expect(replayed.continue_final_message).toBeUndefined();
  });

  it('counts a continuation as an attempt like any other: stats, outcome metric, failover', async () => {
    const before = await attemptsOf('prefill', 'second', 'success');
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    await streamText('prefill');
    expect(await attemptsOf('prefill', 'second', 'success')).toBe(before + 1);
    const stats = gw.deps.runtime.current.deployments.get('second')!.health.stats.snapshot(performance.now());
    expect(stats.recentAttempts).toBe(1);
    expect(stats.errorRate).toBe(0);
    expect(stats.latencyMs).toBeGreaterThan(0);
    const { values } = await gw.deps.metrics.failovers.get();
    expect(
      values.find((v) => v.labels.route === 'prefill' && v.labels.from === 'first' && v.labels.to === 'second')?.value,
    ).toBeGreaterThanOrEqual(1);
  });

  it('records a continuation cut by the request deadline as a timeout, and ends the stream with an error event', async () => {
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 4 }]);
    gw.sim('v2').setFaults([{ type: 'hang' }]);
    const err = await streamText('tight').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(await attemptsOf('tight', 'second', 'timeout')).toBe(1);
    expect(await attemptsOf('tight', 'second', 'aborted')).toBe(0);
    const stats = gw.deps.runtime.current.deployments.get('second')!.health.stats.snapshot(performance.now());
    expect(stats.lastErrorKind).toBe('timeout');
  });

  it('ends with an error event when no deployment can continue (not deterministic, no prefill)', async () => {
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 4 }]);
    const err = await streamText('replay').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(gw.sim('o').stats().requests).toBe(0);
  });
});

describe('the vLLM simulator, like vLLM', () => {
  it('refuses continue_final_message while add_generation_prompt is on', async () => {
    const res = await fetch(`${gw.sim('v2').url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'llama',
        messages: [...messages, { role: 'assistant', content: 'Lorem' }],
        continue_final_message: true,
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('add_generation_prompt');
  });
});
