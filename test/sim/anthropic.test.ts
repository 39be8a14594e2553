/**
 * The anthropic simulator kind, driven by Anthropic's official TypeScript SDK: if the SDK accepts its
 * bytes (messages.create, messages.stream and its event accumulation, tool use both ways, errors as
 * the SDK's own classes, models.list), the simulator speaks the Messages API faithfully. Also: the
 * same conversation gets the same answer as from the OpenAI kinds, prefill of a final assistant turn,
 * prompt-cache accounting, Anthropic's 400s for what a translating gateway could get wrong, and the
 * faults in Anthropic's own forms (529, 429 with its headers, an `error` event inside the stream).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';

const model = 'claude-sonnet-4-20250514';
const apiKey = 'sk-ant-sim-key';
let sim: RunningSimulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'anthropic', model, ttftMs: 1, tpotMs: 1, outputTokens: 12, apiKey });
  client = new Anthropic({ apiKey, baseURL: sim.url, maxRetries: 0 });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

const weather = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('anthropic simulator, through the official SDK', () => {
  it('answers messages.create with a Message: text, stop reason, usage, request id', async () => {
    const response = await client.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(response.type).toBe('message');
    expect(response.id).toMatch(/^msg_/);
    expect(response.model).toBe(model);
    expect(response.stop_reason).toBe('end_turn');
    const [block] = response.content;
    expect(block?.type).toBe('text');
    expect(block?.type === 'text' && block.text.length).toBeGreaterThan(0);
    expect(response.usage).toMatchObject({ output_tokens: 12, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    expect(response.usage.input_tokens).toBeGreaterThan(0);
    expect(response._request_id).toMatch(/^req_/);
    expect(sim.stats().byOperation.chat).toBe(1);
  });

  it('streams named events the SDK accumulates into the same message as the non-stream answer', async () => {
    const params = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Stream me something' }] };
    const whole = await client.messages.create(params);
    const stream = client.messages.stream(params);
    let text = '';
    const events: string[] = [];
    stream.on('text', (delta) => (text += delta));
    stream.on('streamEvent', (event) => events.push(event.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual(whole.content);
    expect(text).toBe(whole.content[0]?.type === 'text' ? whole.content[0].text : undefined);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(12);
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events).toContain('content_block_delta');
  });

  it('calls a tool (forced with tool_choice any), streamed and not, and answers the tool result', async () => {
    const ask = { model, max_tokens: 200, tools: [weather], messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };
    const called = await client.messages.create({ ...ask, tool_choice: { type: 'any' } });
    expect(called.stop_reason).toBe('tool_use');
    const use = called.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(use?.type === 'tool_use' && use.id).toMatch(/^toolu_/);

    const streamed = await client.messages.stream({ ...ask, tool_choice: { type: 'tool', name: 'get_weather' } }).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });

    const answered = await client.messages.create({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: called.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use?.type === 'tool_use' ? use.id : '', content: '18 C' }] },
      ],
    });
    expect(answered.stop_reason).toBe('end_turn');
    expect(answered.content[0]?.type).toBe('text');
  });

  it('lists the served model (the free probe a gateway uses)', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([model]);
    expect((await client.models.retrieve(model)).id).toBe(model);
    await expect(client.models.retrieve('claude-nope')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("raises the SDK's own error classes: bad key, unknown model, overloaded 529, rate limit with its headers", async () => {
    const wrongKey = new Anthropic({ apiKey: 'sk-wrong', baseURL: sim.url, maxRetries: 0 });
    await expect(wrongKey.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    const notFound = await client.messages
      .create({ model: 'claude-other', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect((notFound as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });

    sim.setFaults([{ type: 'error', status: 529, count: 1 }]);
    const overloaded = (await client.messages
      .create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded.status).toBe(529);
    expect(overloaded.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(overloaded.requestID).toMatch(/^req_/);

    sim.setFaults([{ type: 'error', status: 429, retry_after_s: 3, count: 1 }]);
    const limited = (await client.messages
      .create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(Date.parse(limited.headers.get('anthropic-ratelimit-requests-reset') ?? '')).toBeGreaterThan(Date.now());
  });

  it("throws from the SDK's stream on an error event inside the 200 stream", async () => {
    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 3, count: 1 }]);
    const stream = client.messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Break please' }] });
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const error = (await stream.finalMessage().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    expect(text.split(' ').length).toBe(3);
  });

  it('drops message_stop for no_done and sends ping events for keepalive_comments', async () => {
    sim.setFaults([{ type: 'no_done', count: 1 }]);
    const res = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text).toContain('event: message_delta');
    expect(text).not.toContain('message_stop');
    sim.setFaults([{ type: 'keepalive_comments', count: 1 }]);
    const pings = await (
      await fetch(`${sim.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      })
    ).text();
    expect(pings.split('event: ping').length - 1).toBeGreaterThan(5);
  });
});

describe('anthropic simulator, as Anthropic behaves', () => {
  it('gives the same conversation the same answer as the openai kind', async () => {
    const openai = await startSimulator({ kind: 'openai', model, ttftMs: 1, tpotMs: 1, outputTokens: 12 });
    try {
      const viaOpenAI = await new OpenAI({ apiKey: 'x', baseURL: openai.url }).chat.completions.create({
        model,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Same words please' },
        ],
      });
      const viaAnthropic = await client.messages.create({
        model,
        max_tokens: 100,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Same words please' }],
      });
      expect(viaAnthropic.content[0]).toMatchObject({ type: 'text', text: viaOpenAI.choices[0]?.message.content });
    } finally {
      await openai.close();
    }
  });

  it('continues a final assistant turn (prefill) with the rest of the answer', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me a long story' }];
    const whole = await client.messages.create({ model, max_tokens: 100, messages });
    const text = whole.content[0]?.type === 'text' ? whole.content[0].text : '';
    const prefix = text.split(' ').slice(0, 4).join(' ');
    const rest = await client.messages.create({ model, max_tokens: 100, messages: [...messages, { role: 'assistant', content: prefix }] });
    expect(prefix + (rest.content[0]?.type === 'text' ? rest.content[0].text : '')).toBe(text);
  });

  it('counts a cache_control prefix as a cache write, then as a cache read', async () => {
    const params = {
      model,
      max_tokens: 20,
      system: [{ type: 'text' as const, text: 'A long shared instruction. '.repeat(40), cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'Question one' }],
    };
    const first = await client.messages.create(params);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(200);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    const second = await client.messages.create({ ...params, messages: [{ role: 'user', content: 'Question two' }] });
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
  });

  it("refuses with Anthropic's 400 messages what a translating gateway could get wrong", async () => {
    const user = { role: 'user', content: 'hi' };
    const cases: Array<[unknown, string]> = [
      [{ model, messages: [user] }, 'max_tokens: Field required'],
      [
        { model, max_tokens: 10, messages: [{ role: 'system', content: 'x' }, user] },
        "messages.0.role: Input should be 'user' or 'assistant'",
      ],
      [{ model, max_tokens: 10, temperature: 1.5, messages: [user] }, 'temperature: Input should be less than or equal to 1'],
      [
        { model, max_tokens: 10, messages: [user, { role: 'assistant', content: 'Sure ' }] },
        'messages: final assistant content cannot end with trailing whitespace',
      ],
      [
        { model, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }] },
        'messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect((res.body['error'] as { message: string }).message).toContain(message);
    }
    const noVersion = await post({ model, max_tokens: 10, messages: [user] }, { 'anthropic-version': '' });
    expect(noVersion.status).toBe(400);
  });

  it('answers a prompt longer than max_model_len with the prompt-is-too-long 400', async () => {
    const small = await startSimulator({ kind: 'anthropic', model, ttftMs: 0, tpotMs: 0, maxModelLen: 50 });
    try {
      const tight = new Anthropic({ apiKey: 'unused', baseURL: small.url, maxRetries: 0 });
      const error = (await tight.messages
        .create({ model, max_tokens: 40, messages: [{ role: 'user', content: 'x'.repeat(400) }] })
        .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.BadRequestError>;
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect(error.message).toMatch(/prompt is too long: 140 tokens > 50 maximum/);
    } finally {
      await small.close();
    }
  });
});
