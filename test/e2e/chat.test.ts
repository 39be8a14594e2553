/**
 * The OpenAI surface for chat, driven by the official openai SDK against the real gateway and
 * simulators; every body and chunk is validated against the OpenAI OpenAPI schemas.
 */
import { describe, expect, it } from 'vitest';
import { expectSchema } from '../support/openapi.js';
import { demoConfig, readSse, useTestGateway } from '../support/gateway.js';

const gw = useTestGateway(demoConfig());

const messages = [{ role: 'user' as const, content: 'Say something about switchyards.' }];

describe('chat completions, non-stream', () => {
  it('answers through the route with a schema-valid body and the routing headers', async () => {
    const { data, response } = await gw.client().chat.completions.create({ model: 'chat', messages }).withResponse();
    expectSchema('CreateChatCompletionResponse', data);
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('llama');
    expect(data.choices[0]!.message.role).toBe('assistant');
    expect(data.choices[0]!.message.content?.length).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(response.headers.get('x-switchyard-route')).toBe('chat');
    expect(response.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("echoes the client's own x-request-id", async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'my-trace-42' },
      body: JSON.stringify({ model: 'chat', messages }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('my-trace-42');
  });

  // The exact paths skip Express; every variant of them must still reach the same handler through it.
  it('answers the same on path variants: a query string (Azure-style clients), a trailing slash, other case', async () => {
    for (const path of ['/chat/completions?api-version=2024-10-21', '/chat/completions/', '/Chat/Completions']) {
      const res = await fetch(`${gw.baseURL}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages }),
      });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('x-switchyard-route'), path).toBe('chat');
      expectSchema('CreateChatCompletionResponse', await res.json());
    }
  });
  it('passes tools, tool_choice, response_format, n, stop, seed, user and unknown fields through unchanged', async () => {
    const sim = gw.sim('cloud');
    const body = {
      model: 'mini',
      messages,
      n: 2,
      stop: ['zzz'],
      seed: 7,
      user: 'u-1',
      temperature: 0,
      response_format: { type: 'text' },
      vendor_extension: { keep: ['me', 1] },
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      ],
      tool_choice: 'auto',
    };
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as Record<string, any>;
    expectSchema('CreateChatCompletionResponse', json);
    expect(json.choices).toHaveLength(2);
    const seen = sim.recentRequests().at(-1)!;
    expect(seen.path).toBe('/v1/chat/completions');
    const { model, ...rest } = seen.body as Record<string, unknown>;
    expect(model).toBe('gpt-4o-mini-2024-07-18');
    const { model: _clientModel, ...sent } = body;
    expect(rest).toEqual(sent);
    expect(seen.headers.authorization).toBe('Bearer sk-test-cloud-secret-123456');
  });

  it('returns a tool call the SDK can parse', async () => {
    const data = await gw.client().chat.completions.create({
      model: 'mini',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      ],
      tool_choice: 'required',
    });
    expectSchema('CreateChatCompletionResponse', data);
    const call = data.choices[0]!.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
  });
});

describe('chat completions, streamed', () => {
  it('streams schema-valid chunks with one id, a role first, a finish reason, and no usage unless asked', async () => {
    const stream = await gw.client().chat.completions.create({ model: 'chat', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const c of chunks) expectSchema('CreateChatCompletionStreamResponse', c);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.filter((c) => c.choices[0]?.finish_reason != null)).toHaveLength(1);
    expect(chunks.some((c) => c.usage)).toBe(false);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const unary = await gw.client().chat.completions.create({ model: 'chat', messages });
    expect(text).toBe(unary.choices[0]!.message.content);
  });

  it('adds the usage chunk when stream_options.include_usage is set', async () => {
    const stream = await gw
      .client()
      .chat.completions.create({ model: 'mini', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
    expect(chunks.filter((c) => c.usage)).toHaveLength(1);
  });

  it('frames events as OpenAI does: text/event-stream, data lines, [DONE] last', async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      // The SDK sends Accept: application/json even for streams: the body decides.
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ model: 'chat', messages, stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
    const events = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    for (const e of events.slice(0, -1)) expectSchema('CreateChatCompletionStreamResponse', JSON.parse(e));
  });

  it("completes the SDK's .stream() helper with tool calls", async () => {
    const runner = gw.client().chat.completions.stream({
      model: 'chat',
      messages: [{ role: 'user', content: 'What is the weather in Oslo?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      ],
      tool_choice: 'required',
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('spreads requests across both servers of the GPU pool', async () => {
    const a = gw.sim('gpu-a');
    const b = gw.sim('gpu-b');
    a.resetStats();
    b.resetStats();
    await Promise.all(Array.from({ length: 20 }, () => gw.client().chat.completions.create({ model: 'chat', messages })));
    expect(a.stats().byOperation.chat + b.stats().byOperation.chat).toBe(20);
    expect(a.stats().byOperation.chat).toBeGreaterThan(0);
    expect(b.stats().byOperation.chat).toBeGreaterThan(0);
  });
});
