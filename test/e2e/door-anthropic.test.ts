/**
 * The Anthropic Messages API front door end to end, driven by the official @anthropic-ai/sdk: to an
 * Anthropic deployment the client's body goes as it was written and its answer comes back as
 * Anthropic sent it (native, lossless); to a vLLM deployment the request is translated to OpenAI's
 * chat and the answer back into a Message or Anthropic's event stream. Streams are checked event by
 * event (shape and sequence); tools round trip; system, images, stop reasons and usage; errors come
 * as the SDK's error classes in Anthropic's error shape; failover before the first byte both ways
 * (and the answer in the client's wire either way); token counts exact from Anthropic, refused with a
 * 501 where no Anthropic deployment serves the route.
 */
import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { useTestGateway } from '../support/gateway.js';
import { parseAnthropicSse, validateAnthropicEvents, type AnthropicEvent } from '../support/anthropic-events.js';

const claudeModel = 'claude-sonnet-4-20250514';
const teamKey = 'sk-team-door-0123456789';
const limitedKey = 'sk-limited-door-0123456789';

const config = `
version: 1
simulators:
  claude: { kind: anthropic, model: ${claudeModel}, ttft_ms: 1, tpot_ms: 1, output_tokens: 20, api_key: "\${ANTHROPIC_API_KEY}" }
  llama: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 20 }
providers:
  anthropic: { type: anthropic, base_url: sim://claude, api_key: "\${ANTHROPIC_API_KEY}" }
  vllm: { type: vllm, base_url: sim://llama }
deployments:
  claude: { provider: anthropic, model: ${claudeModel}, capabilities: [tools, vision] }
  llama: { provider: vllm, model: llama, capabilities: [tools, vision] }
routes:
  claude: { targets: [claude], retries: { same_deployment: 0 } }
  llama: { targets: [llama], retries: { same_deployment: 0 } }
  claude-then-llama: { targets: [claude], fallbacks: [llama], retries: { same_deployment: 0 } }
  llama-then-claude: { targets: [llama], fallbacks: [claude], retries: { same_deployment: 0 } }
keys:
  - { name: team, key: "\${TEAM_KEY}" }
  - { name: limited, key: "\${LIMITED_KEY}", limits: { rpm: 1 } }
`;

const gw = useTestGateway(config, { ANTHROPIC_API_KEY: 'sk-ant-door-key', TEAM_KEY: teamKey, LIMITED_KEY: limitedKey });
const client = (apiKey = teamKey) => new Anthropic({ baseURL: gw.url, apiKey, maxRetries: 0, timeout: 15_000 });

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

// A 1x1 PNG.
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** A raw streamed request: the SSE text as the client received it, parsed and validated. */
async function rawStream(body: Record<string, unknown>): Promise<{ events: AnthropicEvent[]; headers: Headers }> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': teamKey, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  return { events: validateAnthropicEvents(parseAnthropicSse(await res.text())), headers: res.headers };
}

const textOf = (message: Anthropic.Message) => message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

describe('the Anthropic front door, non-stream', () => {
  it("sends an Anthropic deployment the client's own body and returns its Message as it came", async () => {
    const body = {
      model: 'claude',
      max_tokens: 200,
      system: [{ type: 'text' as const, text: 'You are terse.', cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'Hello there' }],
      top_k: 7,
      metadata: { user_id: 'user-42' },
    };
    const { data, response } = await client()
      .messages.create(body, { headers: { 'anthropic-beta': 'token-efficient-tools-2025-02-19' } })
      .withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model: claudeModel, stop_reason: 'end_turn', stop_sequence: null });
    expect(data.id).toMatch(/^msg_/);
    expect(textOf(data).split(' ')).toHaveLength(20);
    expect(data.usage.output_tokens).toBe(20);
    expect(data.usage.input_tokens + (data.usage.cache_creation_input_tokens ?? 0)).toBeGreaterThan(0);
    expect(response.headers.get('request-id')).toBeTruthy();
    expect(response.headers.get('x-switchyard-deployment')).toBe('claude');

    const sent = gw.sim('claude').recentRequests().at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    // Lossless: cache_control, top_k and metadata reach Anthropic as written; only the model is the deployment's.
    expect(sent.body).toEqual({ ...body, model: claudeModel });
    expect(sent.headers['anthropic-beta']).toBe('token-efficient-tools-2025-02-19');
    expect(sent.headers['x-api-key']).toBe('sk-ant-door-key');
  });

  it('translates for a vLLM deployment and answers in Anthropic shape', async () => {
    const { data, response } = await client()
      .messages.create({
        model: 'llama',
        max_tokens: 200,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Hello there' }],
        metadata: { user_id: 'user-42' },
      })
      .withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model: 'llama', stop_reason: 'end_turn', stop_sequence: null });
    expect(data.id).toMatch(/^msg_/);
    expect(textOf(data).split(' ')).toHaveLength(20);
    expect(data.usage.output_tokens).toBe(20);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get('request-id')).toBeTruthy();
    const sent = gw.sim('llama').recentRequests().at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({
      model: 'llama',
      max_tokens: 200,
      user: 'user-42',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello there' },
      ],
    });
  });

  it.each(['claude', 'llama'])('stops at max_tokens on %s', async (model) => {
    const message = await client().messages.create({ model, max_tokens: 5, messages: [{ role: 'user', content: 'Tell me a long story' }] });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(5);
    expect(textOf(message).split(' ')).toHaveLength(5);
  });

  it.each(['claude', 'llama'])('passes an image to %s', async (model) => {
    const message = await client().messages.create({
      model,
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'text', text: 'What is in this picture?' },
          ],
        },
      ],
    });
    expect(message.content[0]?.type).toBe('text');
    const sent = gw.sim(model).recentRequests().at(-1)!.body as { messages: Array<{ content: unknown }> };
    const image =
      model === 'claude'
        ? { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }
        : { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } };
    expect(sent.messages[0]?.content).toContainEqual(image);
  });

  it.each(['claude', 'llama'])('round-trips a tool call on %s', async (model) => {
    const question = { role: 'user' as const, content: 'What is the weather in Paris?' };
    const first = await client().messages.create({ model, max_tokens: 100, tools: [weatherTool], messages: [question] });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(call).toMatchObject({ name: 'get_weather', input: { city: expect.any(String) } });

    const second = await client().messages.create({
      model,
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.id, content: '18C and sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(textOf(second).length).toBeGreaterThan(0);
    if (model === 'llama') {
      const sent = gw.sim('llama').recentRequests().at(-1)!.body as { messages: unknown[] };
      expect(sent.messages.slice(1)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: call!.id, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(call!.input) } }],
        },
        { role: 'tool', tool_call_id: call!.id, content: '18C and sunny' },
      ]);
    }
  });
});

describe('the Anthropic front door, streamed', () => {
  it.each(['claude', 'llama'])('streams a valid event sequence from %s, and the SDK assembles the message', async (model) => {
    const { events } = await rawStream({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Tell me about rail yards.' }] });
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data['delta'] as { text: string }).text)
      .join('');
    expect(text.split(' ')).toHaveLength(20);
    const delta = events.at(-2)!.data as { delta: { stop_reason: string }; usage: { output_tokens: number } };
    expect(delta.delta.stop_reason).toBe('end_turn');
    expect(delta.usage.output_tokens).toBe(20);

    const seen: AnthropicEvent[] = [];
    const stream = client().messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Tell me about rail yards.' }] });
    stream.on('streamEvent', (event) => seen.push({ event: event.type, data: event as unknown as Record<string, unknown> }));
    const message = await stream.finalMessage();
    validateAnthropicEvents(seen);
    expect(textOf(message)).toBe(text);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBe(20);
    expect(message.model).toBe(model === 'claude' ? claudeModel : 'llama');
  });

  it.each(['claude', 'llama'])('streams a tool call from %s as a tool_use block', async (model) => {
    const stream = client().messages.stream({
      model,
      max_tokens: 100,
      tools: [weatherTool],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Look it up' }],
    });
    const seen: AnthropicEvent[] = [];
    stream.on('streamEvent', (event) => seen.push({ event: event.type, data: event as unknown as Record<string, unknown> }));
    const message = await stream.finalMessage();
    validateAnthropicEvents(seen);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: expect.any(String), name: 'get_weather', input: { city: expect.any(String) } },
    ]);
  });

  it('stops a translated stream at max_tokens with its usage', async () => {
    const { events } = await rawStream({ model: 'llama', max_tokens: 4, messages: [{ role: 'user', content: 'Go on' }] });
    expect(events.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 4 } });
    expect((events.at(-2)!.data['usage'] as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });
});

describe('the Anthropic front door, errors', () => {
  const expectAnthropicError = (error: unknown, type: string) => {
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type, message: expect.any(String) },
    });
  };

  it('refuses a wrong key with an AuthenticationError', async () => {
    const error = await client('sk-wrong-key-000000000')
      .messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expectAnthropicError(error, 'authentication_error');
  });

  it('refuses an unknown model with a NotFoundError', async () => {
    const error = await client()
      .messages.create({ model: 'no-such-route', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expectAnthropicError(error, 'not_found_error');
  });

  it("answers a key's used-up rpm with a RateLimitError", async () => {
    const ask = () => client(limitedKey).messages.create({ model: 'llama', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
    await ask();
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expectAnthropicError(error, 'rate_limit_error');
  });

  it('refuses an invalid body with a BadRequestError naming the field', async () => {
    const body = { model: 'claude', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const error = await client()
      .messages.create(body)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expectAnthropicError(error, 'invalid_request_error');
    expect((error as Error).message).toContain('max_tokens');
    const blocks = {
      model: 'llama',
      max_tokens: 10,
      messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const bad = await client()
      .messages.create(blocks)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as Error).message).toContain('messages[0].content[0].type');
    expect(gw.sim('llama').recentRequests()).toHaveLength(0);
  });
});

describe('the Anthropic front door, a stream that breaks after its start', () => {
  it.each(['claude', 'llama'])('ends with an error event from %s that the SDK throws', async (model) => {
    gw.sim(model).setFaults([{ type: 'mid_stream_error', after_chunks: 5 }]);
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': teamKey },
      body: JSON.stringify({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Break it' }] }),
    });
    const events = validateAnthropicEvents(parseAnthropicSse(await res.text()));
    expect(events.at(-1)?.event).toBe('error');
    expect(events.filter((e) => e.event === 'content_block_delta').length).toBeGreaterThanOrEqual(4);

    gw.sim(model).setFaults([{ type: 'mid_stream_error', after_chunks: 5 }]);
    const error = await client()
      .messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Break it' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
  });
});

describe('the Anthropic front door, failover before the first byte', () => {
  it('answers from vLLM in Anthropic shape when the Anthropic deployment fails', async () => {
    gw.sim('claude').setFaults([{ type: 'error', status: 529 }]);
    const { data, response } = await client()
      .messages.create({ model: 'claude-then-llama', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(response.headers.get('x-switchyard-deployment')).toBe('llama');
    expect(data).toMatchObject({ type: 'message', model: 'llama', stop_reason: 'end_turn' });
    expect(textOf(data).split(' ')).toHaveLength(20);
    expect(gw.sim('claude').stats().faultsApplied).toBe(1);
  });

  it('streams from vLLM in Anthropic events when the Anthropic deployment fails', async () => {
    gw.sim('claude').setFaults([{ type: 'error', status: 529 }]);
    const { events, headers } = await rawStream({
      model: 'claude-then-llama',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(headers.get('x-switchyard-deployment')).toBe('llama');
    expect((events[0]!.data['message'] as { model: string }).model).toBe('llama');
    expect(events.filter((e) => e.event === 'content_block_delta')).toHaveLength(20);
  });

  it('answers natively from Anthropic when vLLM fails, streamed', async () => {
    gw.sim('llama').setFaults([{ type: 'error', status: 503 }]);
    const { events, headers } = await rawStream({
      model: 'llama-then-claude',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(headers.get('x-switchyard-deployment')).toBe('claude');
    expect((events[0]!.data['message'] as { model: string }).model).toBe(claudeModel);
    expect(gw.sim('llama').stats().faultsApplied).toBe(1);
    expect(gw.sim('claude').recentRequests().at(-1)?.body).toMatchObject({ model: claudeModel, stream: true });
  });
});

describe('the Anthropic front door, Anthropic-only features', () => {
  it('sends extended thinking to Anthropic and refuses it on a route without an Anthropic deployment', async () => {
    const body = {
      max_tokens: 2048,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      messages: [{ role: 'user' as const, content: 'Think first' }],
    };
    await client().messages.create({ ...body, model: 'claude' });
    expect(gw.sim('claude').recentRequests().at(-1)?.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 1024 } });
    const error = await client()
      .messages.create({ ...body, model: 'llama' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toContain('extended thinking');
    expect(gw.sim('llama').recentRequests()).toHaveLength(0);
  });
});

describe('the Anthropic front door, token counts', () => {
  it('counts tokens exactly on an Anthropic route', async () => {
    const messages = [{ role: 'user' as const, content: 'How many tokens is this sentence, exactly?' }];
    const counted = await client().messages.countTokens({ model: 'claude', system: 'Be brief.', messages });
    const answered = await client().messages.create({ model: 'claude', max_tokens: 10, system: 'Be brief.', messages });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(counted.input_tokens).toBe(answered.usage.input_tokens);
    expect(gw.sim('claude').recentRequests().at(-2)).toMatchObject({
      path: '/v1/messages/count_tokens',
      body: { model: claudeModel, messages },
    });
  });

  it('refuses with a 501 on a route without an Anthropic deployment', async () => {
    const error = await client()
      .messages.countTokens({ model: 'llama', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(501);
    expect((error as Error).message).toContain('only by Anthropic deployments');
    expect(gw.sim('llama').recentRequests()).toHaveLength(0);
  });
});
