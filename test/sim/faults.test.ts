/**
 * Every injected fault, observed the way a gateway would meet it: from a raw HTTP client, with no
 * timing assertions (silence is checked with a bounded wait, progress by polling the stats).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Fault, type RunningSimulator } from '../../sim/index.js';
import { expectSchema } from '../support/openapi.js';
import { chatRequest, contentChunks, dataEvents, jsonChunks, pollUntil, post, StreamReader, type ErrorBody } from './helpers.js';

const MODEL = 'gpt-4o-mini';
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'openai', model: MODEL, ttftMs: 1, tpotMs: 1, outputTokens: 6 });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

const stream = (extra: Record<string, unknown> = {}, signal?: AbortSignal) =>
  post(sim, '/chat/completions', chatRequest(MODEL, { stream: true, ...extra }), signal ? { signal } : {});

describe('faults before the answer', () => {
  it("error: the status, the kind's error body, Retry-After and retry-after-ms", async () => {
    sim.setFaults([
      { type: 'error', status: 429, retry_after_s: 7, retry_after_ms: 6500, message: 'Slow down', code: 'rate_limit_exceeded' },
    ]);
    const res = await post(sim, '/chat/completions', chatRequest(MODEL));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('retry-after-ms')).toBe('6500');
    const body = (await res.json()) as ErrorBody;
    expectSchema('ErrorResponse', body);
    expect(body).toEqual({ error: { message: 'Slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    expect(sim.stats().faultsApplied).toBe(2);
  });

  it('reset: the connection drops before any byte, so fetch rejects', async () => {
    sim.setFaults([{ type: 'reset' }]);
    await expect(post(sim, '/chat/completions', chatRequest(MODEL))).rejects.toThrow();
    expect(sim.stats()).toMatchObject({ faultsApplied: 1, aborted: 0, completed: 0 });
  });

  it('hang: the request is read and never answered until the client leaves', async () => {
    sim.setFaults([{ type: 'hang' }]);
    const controller = new AbortController();
    const pending = post(sim, '/chat/completions', chatRequest(MODEL), { signal: controller.signal });
    pending.catch(() => undefined);
    await pollUntil(() => sim.stats().inFlight === 1, 'the request to arrive');
    const outcome = await Promise.race([pending.then(() => 'answered'), new Promise((r) => setTimeout(() => r('silent'), 200))]);
    expect(outcome).toBe('silent');
    controller.abort();
    await pollUntil(() => sim.stats().aborted === 1, 'the abort to be counted');
    expect(sim.stats().inFlight).toBe(0);
  });

  it('slow_first_token: headers, then nothing until the delay has passed', async () => {
    sim.setFaults([{ type: 'slow_first_token', delay_ms: 60_000 }]);
    const controller = new AbortController();
    const reader = new StreamReader(await stream({}, controller.signal));
    expect(await reader.waitFor(200)).toBe('quiet');
    controller.abort();
    await pollUntil(() => sim.stats().aborted === 1, 'the abort to be counted');
  });
});

describe('faults in a stream', () => {
  it('cut: N content chunks, then the connection drops without [DONE]', async () => {
    sim.setFaults([{ type: 'cut', after_chunks: 3 }]);
    const reader = new StreamReader(await stream());
    await expect(reader.rest()).rejects.toThrow();
    expect(contentChunks(reader.text)).toBe(3);
    expect(reader.text).not.toContain('[DONE]');
    expect(sim.stats()).toMatchObject({ aborted: 0, completed: 0 });
  });

  it('cut after 0 chunks: the 200 and its headers, then the drop, even with no delays at all', async () => {
    const instant = await startSimulator({ kind: 'vllm', model: MODEL, ttftMs: 0, tpotMs: 0 });
    try {
      instant.setFaults([{ type: 'cut', after_chunks: 0 }]);
      const res = await post(instant, '/chat/completions', chatRequest(MODEL, { stream: true }));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = new StreamReader(res);
      await expect(reader.rest()).rejects.toThrow();
      expect(reader.text).toBe('');
    } finally {
      await instant.close();
    }
  });

  it('cut on a non-stream request: headers and half the body, then the drop', async () => {
    sim.setFaults([{ type: 'cut', after_chunks: 0 }]);
    const res = await post(sim, '/chat/completions', chatRequest(MODEL));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('stall: N chunks, then silence on an open connection; the client leaving counts as an abort', async () => {
    sim.setFaults([{ type: 'stall', after_chunks: 2 }]);
    const controller = new AbortController();
    const reader = new StreamReader(await stream({}, controller.signal));
    await reader.until((t) => contentChunks(t) === 2);
    expect(await reader.waitFor(200)).toBe('quiet');
    expect(contentChunks(reader.text)).toBe(2);
    controller.abort();
    await pollUntil(() => sim.stats().aborted === 1, 'the abort to be counted');
    expect(sim.stats()).toMatchObject({ inFlight: 0, running: 0 });
  });

  it('malformed: one non-JSON data line after N chunks, then the stream goes on to [DONE]', async () => {
    sim.setFaults([{ type: 'malformed', after_chunks: 2 }]);
    const text = await (await stream()).text();
    const events = dataEvents(text);
    const bad = events.indexOf('{"choices": [oops');
    expect(bad).toBeGreaterThan(0);
    expect(
      contentChunks(
        events
          .slice(0, bad)
          .map((e) => `data: ${e}\n\n`)
          .join(''),
      ),
    ).toBe(2);
    expect(events.at(-1)).toBe('[DONE]');
    expect(contentChunks(text.replace('data: {"choices": [oops\n\n', ''))).toBe(6);
  });

  it('mid_stream_error: an error event after N chunks ends the stream, and the SDK throws', async () => {
    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 2, message: 'engine died', count: 1 }]);
    const text = await (await stream()).text();
    const events = dataEvents(text);
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events.at(-1)!) as ErrorBody;
    expectSchema('ErrorResponse', last);
    expect(last.error.message).toBe('engine died');
    expect(contentChunks(text)).toBe(2);

    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 1 }]);
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
    const sdkStream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true });
    const consume = async (): Promise<void> => {
      for await (const chunk of sdkStream) void chunk;
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('mid_stream_error after 0 chunks: the error is the first event, before any role chunk', async () => {
    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 0 }]);
    const events = dataEvents(await (await stream()).text());
    expect(events).toHaveLength(1);
    expectSchema('ErrorResponse', JSON.parse(events[0]!));
  });

  it('no_done: a complete stream (finish and usage chunks) without [DONE]', async () => {
    sim.setFaults([{ type: 'no_done' }]);
    const text = await (await stream({ stream_options: { include_usage: true } })).text();
    expect(text).not.toContain('[DONE]');
    const chunks = jsonChunks(text) as Array<{ choices: Array<{ finish_reason: string | null }>; usage?: unknown }>;
    expect(chunks.at(-1)!.usage).toBeDefined();
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('keepalive_comments: comment lines between chunks, which SSE clients skip', async () => {
    sim.setFaults([{ type: 'keepalive_comments', count: 2 }]);
    const text = await (await stream()).text();
    expect(text.split(': keep-alive\n\n').length - 1).toBeGreaterThanOrEqual(5);
    expect(dataEvents(text).at(-1)).toBe('[DONE]');
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
    const final = await client.chat.completions.stream({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(sim.stats().faultsApplied).toBe(2);
  });
});

describe('fault selection', () => {
  it('expires a fault after count uses, and shows what is left', async () => {
    sim.setFaults([{ type: 'error', status: 500, count: 2 }]);
    expect((await post(sim, '/chat/completions', chatRequest(MODEL))).status).toBe(500);
    const listed = await (await fetch(`${sim.origin}/sim/faults`)).json();
    expect(listed).toEqual({ faults: [{ type: 'error', status: 500, count: 1 }] });
    expect((await post(sim, '/chat/completions', chatRequest(MODEL))).status).toBe(500);
    expect((await post(sim, '/chat/completions', chatRequest(MODEL))).status).toBe(200);
    expect(await (await fetch(`${sim.origin}/sim/faults`)).json()).toEqual({ faults: [] });
    expect(sim.stats()).toMatchObject({ faultsApplied: 2, completed: 3, requests: 3 });
  });

  it('matches by operation; the default spares embeddings, and stream-only faults spare non-stream requests', async () => {
    sim.setFaults([
      { type: 'error', status: 503, operation: 'embeddings', count: 1 },
      { type: 'no_done', count: 1 },
      { type: 'error', status: 502 },
    ]);
    expect((await post(sim, '/embeddings', { model: MODEL, input: 'a' })).status).toBe(503);
    expect((await post(sim, '/chat/completions', chatRequest(MODEL))).status).toBe(502);
    expect((await post(sim, '/embeddings', { model: MODEL, input: 'a' })).status).toBe(200);
    const text = await (await stream()).text();
    expect(text).not.toContain('[DONE]');
  });

  it('draws probabilities from the seeded generator: same seed, same pattern', async () => {
    const pattern = async (): Promise<number[]> => {
      const s = await startSimulator({ kind: 'openai', model: MODEL, ttftMs: 0, tpotMs: 0, seed: 42 });
      try {
        s.setFaults([{ type: 'error', status: 500, probability: 0.5 }]);
        const statuses: number[] = [];
        for (let i = 0; i < 16; i++) statuses.push((await post(s, '/chat/completions', chatRequest(MODEL))).status);
        return statuses;
      } finally {
        await s.close();
      }
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  it('fails at failRate, seeded', async () => {
    const flaky = await startSimulator({ kind: 'vllm', model: MODEL, ttftMs: 0, tpotMs: 0, failRate: 1 });
    try {
      const res = await post(flaky, '/chat/completions', chatRequest(MODEL));
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { type: 'InternalServerError', code: 500 } });
    } finally {
      await flaky.close();
    }
  });
});

describe('admin API', () => {
  it('sets, lists and clears faults over HTTP, rejecting invalid ones', async () => {
    const set = (body: unknown) =>
      fetch(`${sim.origin}/sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await set({ type: 'hang', count: 1 })).status).toBe(200);
    expect(await (await fetch(`${sim.origin}/sim/faults`)).json()).toEqual({ faults: [{ type: 'hang', count: 1 }] });
    const two: Fault[] = [
      { type: 'cut', after_chunks: 1 },
      { type: 'error', status: 503, retry_after_s: 1 },
    ];
    expect(await (await set({ faults: two })).json()).toEqual({ faults: two });
    for (const invalid of [
      { type: 'explode' },
      { type: 'cut' },
      { type: 'error', status: 200 },
      { type: 'hang', probability: 2 },
      { type: 'hang', extra: 1 },
      { faults: 'x' },
    ]) {
      const res = await set(invalid);
      expect(res.status).toBe(400);
      expectSchema('ErrorResponse', await res.json());
    }
    expect(((await (await fetch(`${sim.origin}/sim/faults`)).json()) as { faults: unknown[] }).faults).toHaveLength(2);
    expect((await fetch(`${sim.origin}/sim/faults`, { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(`${sim.origin}/sim/faults`)).json()).toEqual({ faults: [] });
    expect(() => sim.setFaults([{ type: 'stall' } as unknown as Fault])).toThrow(/after_chunks/);
  });

  it('reports and resets stats and recent requests, without counting itself', async () => {
    await post(sim, '/chat/completions', chatRequest(MODEL));
    await fetch(`${sim.url}/models`);
    const stats = await (await fetch(`${sim.origin}/sim/stats`)).json();
    expect(stats).toMatchObject({ requests: 2, byOperation: { chat: 1, models: 1 }, completed: 2, inFlight: 0 });
    const recent = (await (await fetch(`${sim.origin}/sim/requests`)).json()) as {
      requests: Array<{ method: string; path: string; body: unknown }>;
    };
    expect(recent.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/chat/completions', 'GET /v1/models']);
    expect(recent.requests[0]!.body).toMatchObject({ model: MODEL });
    expect((await fetch(`${sim.origin}/sim/stats`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.stats()).toMatchObject({ requests: 0, completed: 0 });
    expect(sim.recentRequests()).toEqual([]);
  });
});
