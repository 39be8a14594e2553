/**
 * A stream cut mid-answer is finished on another deployment so the client receives one complete answer:
 * by prefill on a deployment that can continue an assistant message, in its server's style (vLLM's
 * continue_final_message, a final assistant message as it is, or prefix: true), or by a held-back
 * replay (deterministic requests by default; any with replay: always); a step that fails moves on to
 * the next, and only when every step is spent does the stream end with an error event.
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
  o2: { kind: openai, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
  ll: { kind: openai, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30, prefill: last_assistant }
  px: { kind: openai, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30, prefill: prefix_flag }
  rj: { kind: openai, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30, prefill: none }
providers:
  v1: { type: vllm, base_url: sim://v1 }
  v2: { type: vllm, base_url: sim://v2 }
  o:  { type: openai, base_url: sim://o }
  o2: { type: openai, base_url: sim://o2 }
  ll: { type: llamacpp, base_url: sim://ll, prefill: last_assistant }
  px: { type: openai-compatible, base_url: sim://px, prefill: prefix_flag }
  rj: { type: openai-compatible, base_url: sim://rj, prefill: last_assistant }
deployments:
  first: { provider: v1, model: llama, capabilities: [prefill] }
  second: { provider: v2, model: llama, capabilities: [prefill] }
  plain: { provider: o, model: llama, allow_floating: true }
  plain2: { provider: o2, model: llama, allow_floating: true }
  last: { provider: ll, model: llama, capabilities: [prefill] }
  prefixed: { provider: px, model: llama, capabilities: [prefill] }
  refuses: { provider: rj, model: llama, capabilities: [prefill] }
routes:
  prefill: { targets: [first], fallbacks: [second], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  replay: { targets: [first], fallbacks: [plain], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  reference: { targets: [second] }
  tight: { targets: [first], fallbacks: [second], timeouts: { first_token_ms: 5000, idle_ms: 5000, total_ms: 1500 } }
  last: { targets: [first], fallbacks: [last], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  prefixed: { targets: [first], fallbacks: [prefixed], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  refused: { targets: [first], fallbacks: [refuses], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  refused-unary:
    targets: [first]
    fallbacks: [refuses]
    stream_upstream: true
    timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 }
  always:
    targets: [first]
    fallbacks: [plain, plain2]
    continuation: { replay: always }
    timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 }
  never:
    targets: [first]
    fallbacks: [plain]
    continuation: { replay: never }
    timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 }
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

type Sent = { messages: Array<{ role: string; content: string; prefix?: boolean }>; [key: string]: unknown };

/** The reference answer of the conversation (deterministic in the simulators), as a non-stream request. */
async function referenceText(extra: { temperature?: number } = {}): Promise<string> {
  return (await gw.client().chat.completions.create({ model: 'reference', messages, ...extra })).choices[0]!.message.content!;
}

describe('prefill styles: each finished on a fallback of that style', () => {
  it('last_assistant: the partial answer as a plain final assistant message', async () => {
    const reference = await referenceText();
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    const got = await streamText('last');
    expect(got.text).toBe(reference);
    expect([got.roles, got.finishes, got.ids]).toEqual([1, 1, 1]);
    const sent = gw.sim('ll').recentRequests().at(-1)!.body as Sent;
    expect(sent.messages.at(-1)).toEqual({ role: 'assistant', content: expect.any(String) });
    expect(reference.startsWith(sent.messages.at(-1)!.content)).toBe(true);
    expect(sent.messages.at(-1)!.content.length).toBeGreaterThan(0);
    expect(sent.continue_final_message).toBeUndefined();
    expect(sent.add_generation_prompt).toBeUndefined();
  });

  it('prefix_flag: the final assistant message with prefix: true', async () => {
    const reference = await referenceText();
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    const got = await streamText('prefixed');
    expect(got.text).toBe(reference);
    expect([got.roles, got.finishes, got.ids]).toEqual([1, 1, 1]);
    const sent = gw.sim('px').recentRequests().at(-1)!.body as Sent;
    expect(sent.messages.at(-1)).toMatchObject({ role: 'assistant', prefix: true });
    expect(reference.startsWith(sent.messages.at(-1)!.content)).toBe(true);
    expect(sent.continue_final_message).toBeUndefined();
  });
});

describe('continuation never gives up early', () => {
  it('a refused prefill (400 about the last message) goes on to a replay on the same candidate', async () => {
    const reference = await referenceText({ temperature: 0 });
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    const got = await streamText('refused', { temperature: 0 });
    expect(got.text).toBe(reference);
    expect([got.roles, got.finishes, got.ids]).toEqual([1, 1, 1]);
    const [prefill, replay] = gw
      .sim('rj')
      .recentRequests()
      .map((r) => r.body as Sent);
    expect(prefill!.messages.at(-1)!.role).toBe('assistant');
    expect(replay!.messages.at(-1)).toEqual(messages.at(-1));
    expect(await attemptsOf('refused', 'refuses', 'bad_request')).toBe(1);
    expect(await attemptsOf('refused', 'refuses', 'success')).toBe(1);
  });

  it('the same for a non-stream request answered from upstream streams (stream_upstream)', async () => {
    const reference = await referenceText({ temperature: 0 });
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    const res = await gw.client().chat.completions.create({ model: 'refused-unary', messages, temperature: 0 });
    expect(res.choices[0]!.message.content).toBe(reference);
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(gw.sim('rj').recentRequests()).toHaveLength(2);
  });

  it('replay: always finishes a non-deterministic request when the replay matches', async () => {
    const reference = await referenceText();
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    const got = await streamText('always');
    expect(got.text).toBe(reference);
    expect([got.roles, got.finishes, got.ids]).toEqual([1, 1, 1]);
    expect(gw.sim('o2').stats().requests).toBe(0);
  });

  it('replay: always stops a replay at its first divergence and tries the next step', async () => {
    const reference = await referenceText();
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 8 }]);
    gw.sim('o').setFaults([{ type: 'diverge' }]);
    const got = await streamText('always');
    expect(got.text).toBe(reference);
    expect([got.roles, got.finishes, got.ids]).toEqual([1, 1, 1]);
    // Stopped by the gateway, not the deployment's fault: neither retried nor held against its breaker.
    expect(await attemptsOf('always', 'plain', 'aborted')).toBe(1);
    expect(gw.sim('o').stats().requests).toBe(1);
    expect(gw.deps.runtime.current.deployments.get('plain')!.health.stats.snapshot(performance.now()).errorRate).toBe(0);
    expect(await attemptsOf('always', 'plain2', 'success')).toBe(1);
  });

  it('every step spent: the error event names the original failure', async () => {
    gw.sim('v1').setFaults([{ type: 'mid_stream_error', after_chunks: 8, message: 'the engine fell over' }]);
    gw.sim('o').setFaults([{ type: 'diverge' }]);
    gw.sim('o2').setFaults([{ type: 'diverge' }]);
    const err = await streamText('always').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain("'first'");
    expect(gw.sim('o').stats().requests + gw.sim('o2').stats().requests).toBe(2);
  });

  it('replay: never restarts nothing, even a deterministic request', async () => {
    gw.sim('v1').setFaults([{ type: 'cut', after_chunks: 4 }]);
    const err = await streamText('never', { temperature: 0 }).catch((e: unknown) => e);
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
