/**
 * The openai-kind simulator seen through the official SDK and a raw client: every body and chunk
 * matches OpenAI's spec, streams are framed like OpenAI's, answers are deterministic, and caps,
 * stop strings, n and tools behave as the wire format says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { expectSchema } from '../support/openapi.js';
import { chatRequest, dataEvents, jsonChunks, post } from './helpers.js';

const MODEL = 'gpt-4o-mini-2024-07-18';
const messages: OpenAI.ChatCompletionMessageParam[] = chatRequest(MODEL)['messages'] as OpenAI.ChatCompletionMessageParam[];
let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'openai', model: MODEL, ttftMs: 2, tpotMs: 1, outputTokens: 8 });
  client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await sim?.close();
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a place',
    parameters: {
      type: 'object',
      properties: {
        location: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1 },
      },
      required: ['location', 'unit', 'days'],
      additionalProperties: false,
    },
    strict: true,
  },
};

describe('non-stream chat', () => {
  it('answers with a spec-valid CreateChatCompletionResponse, OpenAI-flavoured', async () => {
    const res = await post(sim, '/chat/completions', chatRequest(MODEL));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const body = (await res.json()) as OpenAI.ChatCompletion;
    expectSchema('CreateChatCompletionResponse', body);
    const choice = body.choices[0]!;
    expect(choice.message).toMatchObject({ role: 'assistant', refusal: null });
    expect(choice.logprobs).toBeNull();
    expect(choice.finish_reason).toBe('stop');
    expect(body.system_fingerprint).toMatch(/^fp_/);
    expect(body.usage!.completion_tokens).toBe(8);
    expect(body.usage!.total_tokens).toBe(body.usage!.prompt_tokens + 8);
  });

  it('caps the answer at max_completion_tokens / max_tokens with finish_reason length', async () => {
    const a = await client.chat.completions.create({ model: MODEL, messages, max_completion_tokens: 3 });
    expect(a.choices[0]!.finish_reason).toBe('length');
    expect(a.usage!.completion_tokens).toBe(3);
    const b = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 5 });
    expect(b.choices[0]!.finish_reason).toBe('length');
    expect(b.usage!.completion_tokens).toBe(5);
  });

  it('stops at a stop string, with the text cut before it', async () => {
    const full = await client.chat.completions.create({ model: MODEL, messages });
    const text = full.choices[0]!.message.content!;
    const stop = text.split(' ')[2]!;
    const cut = await client.chat.completions.create({ model: MODEL, messages, stop: [stop] });
    expect(cut.choices[0]!.finish_reason).toBe('stop');
    expect(cut.choices[0]!.message.content).toBe(text.slice(0, text.indexOf(stop)));
  });

  it('produces n choices, each with its own index', async () => {
    const body = (await (await post(sim, '/chat/completions', chatRequest(MODEL, { n: 3 }))).json()) as OpenAI.ChatCompletion;
    expectSchema('CreateChatCompletionResponse', body);
    expect(body.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(body.usage!.completion_tokens).toBe(24);
  });
});

describe('streamed chat', () => {
  it('frames the stream like OpenAI: role first, shared id/created, finish, [DONE]; every chunk spec-valid', async () => {
    const res = await post(sim, '/chat/completions', chatRequest(MODEL, { stream: true }));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = dataEvents(text);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = jsonChunks(text) as Array<{
      id: string;
      created: number;
      object: string;
      choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>;
      usage?: unknown;
    }>;
    for (const c of chunks) expectSchema('CreateChatCompletionStreamResponse', c);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.filter((c) => c.choices[0]?.finish_reason != null)).toHaveLength(1);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it('adds one usage chunk with no choices before [DONE] only when include_usage is asked', async () => {
    const text = await (
      await post(sim, '/chat/completions', chatRequest(MODEL, { stream: true, stream_options: { include_usage: true } }))
    ).text();
    const chunks = jsonChunks(text) as Array<{
      choices: unknown[];
      usage?: { completion_tokens: number; prompt_tokens: number; total_tokens: number };
    }>;
    const last = chunks.at(-1)!;
    expectSchema('CreateChatCompletionStreamResponse', last);
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 8, total_tokens: last.usage!.prompt_tokens + 8 });
    expect(chunks.filter((c) => c.usage !== undefined)).toHaveLength(1);
    expect(dataEvents(text).at(-1)).toBe('[DONE]');
  });

  it('gives the same text streamed and not, and a different text to a different prompt', async () => {
    const whole = await client.chat.completions.create({ model: MODEL, messages });
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true });
    let streamed = '';
    let pieces = 0;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) {
        streamed += content;
        pieces += 1;
      }
    }
    expect(streamed).toBe(whole.choices[0]!.message.content);
    expect(pieces).toBe(whole.usage!.completion_tokens);
    const other = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Something else entirely.' }] });
    expect(other.choices[0]!.message.content).not.toBe(whole.choices[0]!.message.content);
    const seeded = await client.chat.completions.create({ model: MODEL, messages, seed: 7 });
    expect(seeded.choices[0]!.message.content).not.toBe(whole.choices[0]!.message.content);
  });

  it('interleaves n choices, each with its own role and finish chunk', async () => {
    const text = await (await post(sim, '/chat/completions', chatRequest(MODEL, { stream: true, n: 2 }))).text();
    const chunks = jsonChunks(text) as Array<{ choices: Array<{ index: number; delta: { role?: string }; finish_reason: string | null }> }>;
    const choices = chunks.flatMap((c) => c.choices);
    for (const index of [0, 1]) {
      const mine = choices.filter((c) => c.index === index);
      expect(mine.filter((c) => c.delta.role === 'assistant')).toHaveLength(1);
      expect(mine.filter((c) => c.finish_reason !== null)).toHaveLength(1);
    }
    expect(choices.slice(0, 4).map((c) => c.index)).toEqual([0, 1, 0, 1]);
  });
});

describe('tools', () => {
  it('calls the tool (non-stream) with arguments built from its schema', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weatherTool],
    });
    expectSchema('CreateChatCompletionResponse', JSON.parse(JSON.stringify(res)));
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{12}$/);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris', unit: 'celsius', days: 3 });
  });

  it('answers in text when tool_choice is auto and nothing asks for a tool, and calls when required', async () => {
    const text = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hello there' }],
      tools: [weatherTool],
    });
    expect(text.choices[0]!.finish_reason).toBe('stop');
    expect(text.choices[0]!.message.tool_calls).toBeUndefined();
    const forced = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hello there' }],
      tools: [weatherTool],
      tool_choice: 'required',
    });
    expect(forced.choices[0]!.finish_reason).toBe('tool_calls');
    const none = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [weatherTool],
      tool_choice: 'none',
    });
    expect(none.choices[0]!.finish_reason).toBe('stop');
  });

  it("streams the call in fragments that the SDK's .stream() helper assembles and parses", async () => {
    const raw = await (
      await post(sim, '/chat/completions', {
        model: MODEL,
        messages: [{ role: 'user', content: 'use the tool' }],
        tools: [weatherTool],
        stream: true,
      })
    ).text();
    const chunks = jsonChunks(raw) as Array<{ choices: Array<{ delta: { tool_calls?: Array<Record<string, unknown>> } }> }>;
    for (const c of chunks) expectSchema('CreateChatCompletionStreamResponse', c);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas.length).toBeGreaterThanOrEqual(4);
    expect(
      deltas.slice(1).every((d) => d['id'] === undefined && typeof (d['function'] as { arguments: string }).arguments === 'string'),
    ).toBe(true);

    const stream = client.chat.completions.stream({
      model: MODEL,
      messages: [{ role: 'user', content: 'What is the weather like?' }],
      tools: [weatherTool],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.function.parsed_arguments).toEqual({ location: 'Paris', unit: 'celsius', days: 3 });
  });
});

describe('legacy completions', () => {
  it('answers with CreateCompletionResponse, streamed as text_completion chunks', async () => {
    const body = (await (
      await post(sim, '/completions', { model: MODEL, prompt: 'Once upon a time', max_tokens: 4 })
    ).json()) as OpenAI.Completion;
    expectSchema('CreateCompletionResponse', body);
    expect(body.choices[0]!.finish_reason).toBe('length');
    const text = await (await post(sim, '/completions', { model: MODEL, prompt: 'Once upon a time', max_tokens: 4, stream: true })).text();
    const chunks = jsonChunks(text) as Array<{ object: string; choices: Array<{ text: string; finish_reason: string | null }> }>;
    for (const c of chunks) {
      // The spec says streamed chunks share this schema, but its finish_reason is not nullable while
      // OpenAI's own streams send null until the last chunk: only that mismatch is patched here.
      expectSchema('CreateCompletionResponse', {
        ...c,
        choices: c.choices.map((ch) => ({ ...ch, finish_reason: ch.finish_reason ?? 'stop' })),
      });
    }
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('length');
    expect(chunks.map((c) => c.choices[0]!.text).join('')).toBe(body.choices[0]!.text);
    expect(dataEvents(text).at(-1)).toBe('[DONE]');
  });
});
