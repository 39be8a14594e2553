/**
 * The OpenAI Responses API front door end to end, driven by the official openai SDK
 * (`client.responses.create`): to an OpenAI deployment (and an Azure one) natively, the client's body
 * passed through and the upstream's answer back as it came; to vLLM and Anthropic deployments through
 * the Chat Completions translation, stream and not, every answer and event valid against OpenAI's
 * spec; a function-calling round trip; previous_response_id natively, and the documented 400 on a
 * route that cannot serve it; failover before the first byte between a native and a translated
 * deployment, both ways; a key's rate limit and bad input as OpenAI-shaped errors.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { useTestGateway } from '../support/gateway.js';
import { azureChatModel } from '../../sim/native/azure/index.js';

const mini = 'gpt-4o-mini-2024-07-18';
const claudeModel = 'claude-sonnet-4-20250514';
const timeouts = 'timeouts: { first_token_ms: 5000, idle_ms: 3000, total_ms: 15000 }';

const config = `
version: 1
simulators:
  cloud: { kind: openai, model: ${mini}, ttft_ms: 1, tpot_ms: 1, output_tokens: 12, api_key: sk-cloud-e2e-secret-123456 }
  pool: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 12 }
  claude: { kind: anthropic, model: ${claudeModel}, ttft_ms: 1, tpot_ms: 1, output_tokens: 12, api_key: sk-ant-e2e-key }
  az: { kind: azure, model: chat-prod, ttft_ms: 1, tpot_ms: 1, output_tokens: 12, api_key: az-secret-key-0123456789 }
providers:
  openai: { type: openai, base_url: sim://cloud, api_key: sk-cloud-e2e-secret-123456 }
  gpu: { type: vllm, base_url: sim://pool }
  anthropic: { type: anthropic, base_url: sim://claude, api_key: sk-ant-e2e-key }
  azure: { type: azure, base_url: sim://az, api_key: az-secret-key-0123456789 }
deployments:
  mini@openai: { provider: openai, model: ${mini}, capabilities: [tools] }
  llama@gpu: { provider: gpu, model: llama, capabilities: [tools] }
  claude@anthropic: { provider: anthropic, model: ${claudeModel}, capabilities: [tools] }
  chat@azure: { provider: azure, model: chat-prod, capabilities: [tools] }
routes:
  openai: { targets: [mini@openai] }
  vllm: { targets: [llama@gpu] }
  claude: { targets: [claude@anthropic] }
  azure: { targets: [chat@azure] }
  openai-first: { targets: [mini@openai], fallbacks: [llama@gpu], retries: { same_deployment: 0 }, ${timeouts} }
  vllm-first: { targets: [llama@gpu], fallbacks: [mini@openai], retries: { same_deployment: 0 }, ${timeouts} }
keys:
  - { name: team, key: "\${TEAM_KEY}" }
  - { name: limited, key: "\${LIMITED_KEY}", limits: { rpm: 2 } }
`;

const TEAM_KEY = 'sk-team-responses-0123456789';
const LIMITED_KEY = 'sk-limited-responses-0123456789';
const gw = useTestGateway(config, { TEAM_KEY, LIMITED_KEY });
const client = (apiKey = TEAM_KEY) => gw.client({ apiKey });

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

/** One non-stream answer, checked against the spec, with the deployment that served it. */
async function ask(model: string, params: Partial<OpenAI.Responses.ResponseCreateParamsNonStreaming> = {}) {
  const { data, response } = await client()
    .responses.create({ model, input: 'Tell me about rail yards.', store: false, ...params })
    .withResponse();
  expectSchema('Response', data);
  return { data, deployment: response.headers.get('x-switchyard-deployment') };
}

/** One streamed answer: every event checked against the spec and in sequence. */
async function streamed(model: string, params: Partial<OpenAI.Responses.ResponseCreateParamsStreaming> = {}) {
  const stream = await client().responses.create({ model, input: 'Tell me about rail yards.', store: false, stream: true, ...params });
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of stream) {
    expectSchema('ResponseStreamEvent', event);
    events.push(event);
  }
  events.forEach((event, i) => expect(event.sequence_number).toBe(events[0]!.sequence_number + i));
  const last = events[events.length - 1]!;
  expect(last.type).toBe('response.completed');
  const text = events.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
  return { events, text, response: (last as OpenAI.Responses.ResponseCompletedEvent).response };
}

const lastRequest = (sim: string) => {
  const requests = gw
    .sim(sim)
    .recentRequests()
    .filter((r) => r.method === 'POST');
  return requests[requests.length - 1]!;
};

describe('Responses door: native to OpenAI and Azure', () => {
  it("sends the client's own body to OpenAI and returns its answer", async () => {
    const { data, deployment } = await ask('openai', { metadata: { team: 'rail' }, instructions: 'Be brief.' });
    expect(deployment).toBe('mini@openai');
    expect(data.output_text).toMatch(/\w/);
    expect(data.model).toBe(mini);
    expect(data.usage?.output_tokens).toBe(12);
    const sent = lastRequest('cloud');
    expect(sent.path).toBe('/v1/responses');
    expect(sent.body).toEqual({
      model: mini,
      input: 'Tell me about rail yards.',
      store: false,
      metadata: { team: 'rail' },
      instructions: 'Be brief.',
    });
  });

  it("streams OpenAI's own events", async () => {
    const { events, text, response } = await streamed('openai');
    expect(events[0]!.type).toBe('response.created');
    expect(text).toMatch(/\w/);
    expect(response.usage?.output_tokens).toBe(12);
    expect(lastRequest('cloud').path).toBe('/v1/responses');
  });

  it('continues a stored conversation with previous_response_id', async () => {
    const first = await client().responses.create({ model: 'openai', input: 'Remember the number 7.' });
    const second = await client().responses.create({ model: 'openai', input: 'Which number?', previous_response_id: first.id });
    expectSchema('Response', second);
    expect(second.previous_response_id).toBe(first.id);
    expect(lastRequest('cloud').body).toMatchObject({ previous_response_id: first.id, model: mini });
  });

  it('answers an unknown previous_response_id with a 400 naming it, without failing over', async () => {
    const error = await client()
      .responses.create({ model: 'openai-first', input: 'x', previous_response_id: 'resp_unknown' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.param).toBe('previous_response_id');
    expect(bad.code).toBe('previous_response_not_found');
    expect(gw.sim('pool').stats().requests).toBe(0);
  });

  it('sends Azure the body with the deployment as model on the v1 path, stream and not', async () => {
    const { data } = await ask('azure');
    expect(data.model).toBe(azureChatModel);
    const sent = lastRequest('az');
    expect(sent.path).toBe('/openai/v1/responses');
    expect(sent.body).toMatchObject({ model: 'chat-prod', input: 'Tell me about rail yards.' });
    const { text, response } = await streamed('azure');
    expect(text).toMatch(/\w/);
    expect(response.model).toBe(azureChatModel);
    expect(lastRequest('az').body).toMatchObject({ model: 'chat-prod', stream: true });
  });
});

describe('Responses door: translated for vLLM and Anthropic', () => {
  it.each([
    ['vllm', 'pool', '/v1/chat/completions'],
    ['claude', 'claude', '/v1/messages'],
  ])('answers on %s through Chat Completions', async (route, sim, path) => {
    const { data } = await ask(route, { instructions: 'Be brief.', max_output_tokens: 200 });
    expect(data.status).toBe('completed');
    expect(data).toMatchObject({ store: false });
    expect(data.instructions).toBe('Be brief.');
    expect(data.output_text).toMatch(/\w/);
    expect(data.usage?.output_tokens).toBe(12);
    expect(lastRequest(sim).path).toBe(path);

    const { events, text, response } = await streamed(route);
    expect(events.map((e) => e.type).slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(text).toMatch(/\w/);
    expect(response.output).toMatchObject([{ type: 'message', status: 'completed', content: [{ type: 'output_text', text }] }]);
    expect(response.usage?.output_tokens).toBe(12);
  });

  it('marks an answer cut by max_output_tokens incomplete', async () => {
    const { data } = await ask('vllm', { max_output_tokens: 3 });
    expect(data.status).toBe('incomplete');
    expect(data.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(lastRequest('pool').body).toMatchObject({ max_completion_tokens: 3 });
  });

  it.each(['vllm', 'claude'])('runs a function-calling round trip on %s', async (route) => {
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await ask(route, { input, tools: [weatherTool] });
    const call = first.data.output.find((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call');
    expect(call?.name).toBe('get_weather');
    expect(JSON.parse(call!.arguments)).toEqual({ city: 'Paris' });
    const second = await ask(route, {
      input: [...input, call!, { type: 'function_call_output', call_id: call!.call_id, output: '{"temp_c": 21}' }],
      tools: [weatherTool],
    });
    expect(second.data.output_text).toMatch(/\w/);
    const last = lastRequest(route === 'vllm' ? 'pool' : 'claude');
    expect(JSON.stringify(last.body)).toContain(call!.call_id);
  });

  it('streams a function call as a function_call item with argument deltas', async () => {
    const { events, response } = await streamed('vllm', { input: 'What is the weather in Paris?', tools: [weatherTool] });
    expect(events.some((e) => e.type === 'response.function_call_arguments.delta')).toBe(true);
    const done = events.find(
      (e) => e.type === 'response.function_call_arguments.done',
    ) as OpenAI.Responses.ResponseFunctionCallArgumentsDoneEvent;
    expect(JSON.parse(done.arguments)).toEqual({ city: 'Paris' });
    expect(response.output).toMatchObject([{ type: 'function_call', name: 'get_weather', status: 'completed' }]);
  });

  it('refuses previous_response_id on a route without an OpenAI or Azure deployment', async () => {
    const error = await client()
      .responses.create({ model: 'vllm', input: 'hi', previous_response_id: 'resp_123' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/store: false/);
    expect(gw.sim('pool').stats().requests).toBe(0);
  });
});

describe('Responses door: failover and errors', () => {
  it('fails over from OpenAI to vLLM before the first byte, translating the answer', async () => {
    gw.sim('cloud').setFaults([{ type: 'error', status: 500 }]);
    const { data, deployment } = await ask('openai-first');
    expect(deployment).toBe('llama@gpu');
    expect(data.output_text).toMatch(/\w/);
    expect(data).toMatchObject({ store: false });
    expect(lastRequest('cloud').path).toBe('/v1/responses');
    expect(gw.sim('pool').stats().requests).toBe(1);
  });

  it('fails over from vLLM to OpenAI before the first byte of a stream, answering natively', async () => {
    gw.sim('pool').setFaults([{ type: 'error', status: 503 }]);
    const { text } = await streamed('vllm-first');
    expect(text).toMatch(/\w/);
    expect(lastRequest('cloud').path).toBe('/v1/responses');
    expect(lastRequest('cloud').body).toMatchObject({ model: mini, stream: true });
  });

  it('ends a translated stream that breaks mid-answer with an error event the SDK throws on', async () => {
    gw.sim('pool').setFaults([{ type: 'mid_stream_error', after_chunks: 3 }]);
    const stream = await client().responses.create({ model: 'vllm', input: 'Tell me about rail yards.', store: false, stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) {
        expectSchema('ResponseStreamEvent', event);
        seen.push(event.type);
      }
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(seen.filter((t) => t === 'response.output_text.delta')).toHaveLength(3);
    expect(seen).not.toContain('response.completed');
  });

  it("answers a key over its rpm with a 429 in OpenAI's shape", async () => {
    const limited = client(LIMITED_KEY);
    await limited.responses.create({ model: 'vllm', input: 'one', store: false });
    await limited.responses.create({ model: 'vllm', input: 'two', store: false });
    const error = await limited.responses.create({ model: 'vllm', input: 'three', store: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).error).toMatchObject({
      type: expect.any(String),
      message: expect.any(String),
    });
  });

  it.each([
    [{ input: 42 }, 'input'],
    [{ input: [{ role: 'robot', content: 'hi' }] }, 'input[0].role'],
    [{ input: [{ role: 'user', content: [{ type: 'input_video' }] }] }, 'input[0].content[0].type'],
  ])('refuses bad input %j with a 400 naming %s', async (extra, param) => {
    const error = await client()
      .responses.create({
        model: 'vllm',
        ...(extra as Record<string, unknown>),
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
    expect(gw.sim('pool').stats().requests).toBe(0);
  });
});
