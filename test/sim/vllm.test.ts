/**
 * The vllm-kind simulator: vLLM's response flavour (what a gateway adapter has to repair), its error
 * format with integer codes, its model card, and its engine load model seen through /metrics: a
 * bounded number of running sequences, a FIFO queue, KV-cache use, slots freed on client abort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { expectSchema, validateSchema } from '../support/openapi.js';
import { chatRequest, jsonChunks, pollUntil, post, type ErrorBody } from './helpers.js';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'vllm', model: MODEL, ttftMs: 2, tpotMs: 1, outputTokens: 6 });
});
afterAll(async () => {
  await sim?.close();
});

async function metric(target: RunningSimulator, name: string): Promise<number> {
  const text = await (await fetch(`${target.origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{model_name="${target.model}"} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics:\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('vLLM flavour', () => {
  it('answers non-stream chat the way vLLM does, which strict OpenAI validation flags', async () => {
    const body = (await (await post(sim, '/chat/completions', chatRequest(MODEL))).json()) as {
      choices: Array<{ message: Record<string, unknown>; stop_reason: unknown; logprobs: unknown }>;
      usage: Record<string, unknown>;
    };
    const choice = body.choices[0]!;
    expect(choice.message).toMatchObject({ role: 'assistant', reasoning_content: null, tool_calls: [] });
    expect('refusal' in choice.message).toBe(false);
    expect(choice.stop_reason).toBeNull();
    expect(choice.logprobs).toBeNull();
    expect(Object.keys(body.usage).sort()).toEqual(['completion_tokens', 'prompt_tokens', 'total_tokens']);
    // The missing `refusal` (and `system_fingerprint: null`) are exactly what the adapter must repair.
    const errors = validateSchema('CreateChatCompletionResponse', body);
    expect(errors.some((e) => e.includes("'refusal'"))).toBe(true);
  });

  it('streams chunks without refusal, with stop_reason on the finish chunk', async () => {
    const text = await (await post(sim, '/chat/completions', chatRequest(MODEL, { stream: true }))).text();
    const chunks = jsonChunks(text) as Array<{
      choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null; stop_reason?: unknown }>;
    }>;
    for (const c of chunks) expectSchema('CreateChatCompletionStreamResponse', c);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ finish_reason: 'stop', stop_reason: null });
  });

  it('reports the matched stop string as stop_reason', async () => {
    const full = (await (await post(sim, '/chat/completions', chatRequest(MODEL))).json()) as {
      choices: Array<{ message: { content: string } }>;
    };
    const word = full.choices[0]!.message.content.split(' ')[1]!;
    const cut = (await (await post(sim, '/chat/completions', chatRequest(MODEL, { stop: word }))).json()) as {
      choices: Array<{ finish_reason: string; stop_reason: unknown }>;
    };
    expect(cut.choices[0]).toMatchObject({ finish_reason: 'stop', stop_reason: word });
  });

  it('404s another model with vLLM error body and an integer code', async () => {
    const res = await post(sim, '/chat/completions', chatRequest('gpt-4o'));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: 'The model `gpt-4o` does not exist.', type: 'NotFoundError', param: 'model', code: 404 },
    });
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  it('answers bad JSON and unknown paths in its error format', async () => {
    const bad = await post(sim, '/chat/completions', '{"model":');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error).toMatchObject({ type: 'BadRequestError', code: 400 });
    const missing = await fetch(`${sim.url}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.code).toBe(404);
  });

  it("lists its model with vLLM's card", async () => {
    const list = (await (await fetch(`${sim.url}/models`)).json()) as { data: Array<Record<string, unknown>> };
    expectSchema('ListModelsResponse', list);
    expect(list.data[0]).toMatchObject({ id: MODEL, object: 'model', owned_by: 'vllm', root: MODEL, parent: null, max_model_len: 32768 });
    const one = await fetch(`${sim.url}/models/${MODEL}`);
    expectSchema('Model', await one.json());
    expect((await fetch(`${sim.origin}/health`)).status).toBe(200);
  });
});

describe('engine load', () => {
  it('runs maxConcurrency sequences, queues the rest, and frees slots when clients leave', async () => {
    const busy = await startSimulator({ kind: 'vllm', model: 'llama', ttftMs: 60_000, tpotMs: 1, maxConcurrency: 1, kvCacheTokens: 100 });
    try {
      const controllers = [0, 1, 2].map(() => new AbortController());
      // 200 characters: 50 prompt tokens each.
      const content = 'x'.repeat(200);
      const responses = await Promise.all(
        controllers.map((c) =>
          post(busy, '/chat/completions', { model: 'llama', messages: [{ role: 'user', content }], stream: true }, { signal: c.signal }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      await pollUntil(
        async () => (await metric(busy, 'vllm:num_requests_running')) === 1 && (await metric(busy, 'vllm:num_requests_waiting')) === 2,
        'one running and two waiting',
      );
      expect(await metric(busy, 'vllm:kv_cache_usage_perc')).toBe(0.5);
      expect(await metric(busy, 'vllm:prompt_tokens_total')).toBe(50);
      expect(busy.stats()).toMatchObject({ running: 1, waiting: 2, inFlight: 3 });
      for (const c of controllers) c.abort();
      await pollUntil(() => busy.stats().aborted === 3, 'three aborts');
      expect(busy.stats()).toMatchObject({ running: 0, waiting: 0, inFlight: 0, completed: 0 });
      expect(await metric(busy, 'vllm:kv_cache_usage_perc')).toBe(0);
    } finally {
      await busy.close();
    }
  });

  it('admits waiting requests first in, first out', async () => {
    const queue = await startSimulator({ kind: 'vllm', model: 'llama', ttftMs: 30, tpotMs: 0, maxConcurrency: 1 });
    try {
      const finished: string[] = [];
      const pending = ['a', 'b', 'c', 'd'].map((name) =>
        post(queue, '/chat/completions', { model: 'llama', messages: [{ role: 'user', content: name }] }).then(async (r) => {
          await r.text();
          finished.push(name);
        }),
      );
      await Promise.all(pending);
      const arrived = queue.recentRequests().map((r) => (r.body as { messages: Array<{ content: string }> }).messages[0]!.content);
      expect(finished).toEqual(arrived);
      expect(queue.stats().completed).toBe(4);
    } finally {
      await queue.close();
    }
  });
});
