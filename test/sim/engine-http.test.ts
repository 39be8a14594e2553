/**
 * The vllm simulator on the engine model (sim/engine/): real HTTP, answers paced by the engine's
 * steps, the prefix cache and the queue seen through /metrics. No timing assertions: only what the
 * engine's order of events guarantees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServerLoad } from '../../gpu-pool/server-metrics.js';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { chatRequest, contentChunks, dataEvents, pollUntil, post, StreamReader } from './helpers.js';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'vllm', model: MODEL, engine: 'llama-3.1-8b-h100', maxConcurrency: 2, outputTokens: 8 });
});
afterAll(async () => {
  await sim?.close();
});

async function load(target: RunningSimulator) {
  return readServerLoad('vllm', await (await fetch(`${target.origin}/metrics`)).text());
}

const longPrompt = (salt: string): string => `${salt} `.repeat(2000);

describe('vllm simulator with an engine', () => {
  it('streams complete answers, with usage from the engine', async () => {
    const text = await (
      await post(sim, '/chat/completions', chatRequest(MODEL, { stream: true, stream_options: { include_usage: true } }))
    ).text();
    expect(contentChunks(text)).toBe(8);
    expect(dataEvents(text).at(-1)).toBe('[DONE]');
    const usage = JSON.parse(dataEvents(text).at(-2)!) as { usage: { prompt_tokens: number; completion_tokens: number } };
    expect(usage.usage.completion_tokens).toBe(8);
    expect(usage.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('answers non-stream chat and legacy completions', async () => {
    const chat = (await (await post(sim, '/chat/completions', chatRequest(MODEL, { max_tokens: 5 }))).json()) as {
      choices: Array<{ message: { content: string } }>;
      usage: { completion_tokens: number };
    };
    expect(chat.usage.completion_tokens).toBe(5);
    expect(chat.choices[0]!.message.content.length).toBeGreaterThan(0);
    const completion = (await (await post(sim, '/completions', { model: MODEL, prompt: 'Once upon a time', max_tokens: 3 })).json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(completion.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 3 });
  });

  it('serves a repeated long prompt from the prefix cache', async () => {
    const before = await load(sim);
    expect(before).toMatchObject({ blockSize: 16, gpuBlocks: 29_205 });
    const body = { model: MODEL, messages: [{ role: 'user', content: longPrompt('cache') }], max_tokens: 2 };
    await (await post(sim, '/chat/completions', body)).json();
    const once = await load(sim);
    await (await post(sim, '/chat/completions', body)).json();
    const twice = await load(sim);
    expect(once.prefixHits! - before.prefixHits!).toBe(0);
    expect(twice.prefixHits! - once.prefixHits!).toBeGreaterThan(2000);
    expect(twice.prefixQueries!).toBeGreaterThan(once.prefixQueries!);
  });

  it('queues beyond max_concurrency, and every answer still completes', async () => {
    const burst = Array.from({ length: 6 }, (_, i) =>
      post(sim, '/chat/completions', chatRequest(MODEL, { stream: true, max_tokens: 150, seed: i })).then((r) => r.text()),
    );
    let sawWaiting = false;
    await pollUntil(async () => {
      const l = await load(sim);
      if (l.waiting! > 0) sawWaiting = true;
      expect(l.running!).toBeLessThanOrEqual(2);
      return sawWaiting;
    }, 'requests waiting during the burst');
    const texts = await Promise.all(burst);
    for (const text of texts) {
      expect(dataEvents(text).at(-1)).toBe('[DONE]');
      expect(contentChunks(text)).toBeGreaterThan(0);
    }
    await pollUntil(async () => (await load(sim)).running === 0, 'an idle engine after the burst');
    expect(sim.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('frees the slot when the client goes away', async () => {
    const controller = new AbortController();
    const res = await post(sim, '/chat/completions', chatRequest(MODEL, { stream: true, max_tokens: 5000 }), { signal: controller.signal });
    const reader = new StreamReader(res);
    await reader.until((t) => t.includes('"content"'));
    expect((await load(sim)).running).toBe(1);
    controller.abort();
    await pollUntil(async () => (await load(sim)).running === 0, 'the aborted sequence to leave the engine');
    expect((await load(sim)).kvUsage).toBe(0);
  });

  it('cuts a stream on a fault, as without an engine', async () => {
    sim.setFaults([{ type: 'cut', after_chunks: 2 }]);
    try {
      const res = await post(sim, '/chat/completions', chatRequest(MODEL, { stream: true }));
      await expect(res.text()).rejects.toThrow();
    } finally {
      sim.clearFaults();
    }
    await pollUntil(async () => (await load(sim)).running === 0, 'the cut sequence to leave the engine');
  });

  it('refuses an unknown engine profile', async () => {
    await expect(startSimulator({ kind: 'vllm', model: MODEL, engine: 'gpt-9' })).rejects.toThrow(/engine must be one of/);
  });
});
