/**
 * The `anthropic` provider end to end: the openai SDK through the gateway to the anthropic simulator
 * (Anthropic's Messages API on the wire). Chat, streams, a tool call round trip, usage with prompt
 * caching, Anthropic's errors in the OpenAI envelope with the right status, failover to and from
 * another vendor before the first byte, and a stream cut mid-answer finished on the other vendor by
 * prefill, both ways. The simulators share the answer plan, so one conversation reads the same from
 * any of them, and a continued answer can be compared with the uninterrupted one.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { useTestGateway } from '../support/gateway.js';

const claudeModel = 'claude-sonnet-4-20250514';
// Generous: the cuts close the connection, so no test waits for these; they only keep a loaded machine from tripping them.
const timeouts = 'timeouts: { first_token_ms: 5000, idle_ms: 3000, total_ms: 15000 }';

const config = `
version: 1
simulators:
  claude: { kind: anthropic, model: ${claudeModel}, ttft_ms: 1, tpot_ms: 1, output_tokens: 30, api_key: "\${ANTHROPIC_API_KEY}" }
  llama: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
providers:
  anthropic: { type: anthropic, base_url: sim://claude, api_key: "\${ANTHROPIC_API_KEY}" }
  vllm: { type: vllm, base_url: sim://llama }
deployments:
  claude: { provider: anthropic, model: ${claudeModel}, capabilities: [tools, vision, prefill] }
  llama: { provider: vllm, model: llama, capabilities: [tools, prefill] }
routes:
  claude: { targets: [claude], retries: { same_deployment: 0 } }
  claude-then-llama: { targets: [claude], fallbacks: [llama], retries: { same_deployment: 0 }, ${timeouts} }
  llama-then-claude: { targets: [llama], fallbacks: [claude], retries: { same_deployment: 0 }, ${timeouts} }
  llama: { targets: [llama] }
`;

const gw = useTestGateway(config, { ANTHROPIC_API_KEY: 'sk-ant-e2e-key' });

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function streamed(model: string, content: string) {
  const stream = await gw.client().chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true });
  let text = '';
  const chunks = [];
  for await (const chunk of stream) {
    expectSchema('CreateChatCompletionStreamResponse', chunk);
    chunks.push(chunk);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, chunks };
}

describe('anthropic through the gateway', () => {
  it('answers a chat completion in OpenAI shape, the request in Anthropic shape upstream', async () => {
    const { data, response } = await gw
      .client()
      .chat.completions.create({
        model: 'claude',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hello there' },
        ],
        temperature: 1.7,
      })
      .withResponse();
    expectSchema('CreateChatCompletionResponse', data);
    expect(data.model).toBe(claudeModel);
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.choices[0]?.message.content?.split(' ')).toHaveLength(30);
    expect(data.usage).toMatchObject({ completion_tokens: 30, prompt_tokens_details: { cached_tokens: 0 } });
    expect(response.headers.get('x-switchyard-deployment')).toBe('claude');

    const [sent] = gw.sim('claude').recentRequests();
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('sk-ant-e2e-key');
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.headers['authorization']).toBeUndefined();
    expect(sent?.body).toMatchObject({ model: claudeModel, system: 'You are terse.', max_tokens: 4096, temperature: 1 });
  });

  it('streams, with the usage chunk the client asked for', async () => {
    const stream = await gw.client().chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const chunk of chunks) expectSchema('CreateChatCompletionStreamResponse', chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ completion_tokens: 30 });
    const unary = await gw.client().chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Stream please' }] });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(unary.choices[0]?.message.content);
  });

  it('reports prompt-cache reads as cached_tokens', async () => {
    const messages = [
      {
        role: 'system' as const,
        content: [{ type: 'text' as const, text: 'Long shared rules. '.repeat(50), cache_control: { type: 'ephemeral' } }],
      },
      { role: 'user' as const, content: 'First question' },
    ];
    const first = await gw.client().chat.completions.create({ model: 'claude', messages });
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const second = await gw.client().chat.completions.create({ model: 'claude', messages });
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(200);
    expect(second.usage?.prompt_tokens).toBe(first.usage?.prompt_tokens);
    expect(gw.sim('claude').recentRequests().at(-1)?.body).toMatchObject({ system: [{ cache_control: { type: 'ephemeral' } }] });
  });

  it('runs a tool call round trip, streamed and not', async () => {
    const client = gw.client();
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await client.chat.completions.create({ model: 'claude', messages, tools: [weatherTool] });
    expectSchema('CreateChatCompletionResponse', first);
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const stream = client.chat.completions.stream({ model: 'claude', messages, tools: [weatherTool], tool_choice: 'required' });
    const streamedCall = (await stream.finalChatCompletion()).choices[0]?.message.tool_calls?.[0];
    expect(streamedCall?.type === 'function' && streamedCall.function.name).toBe('get_weather');

    const answer = await client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [...messages, first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '18 C and sunny' }],
    });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.choices[0]?.message.content).toBeTruthy();
    const sent = gw.sim('claude').recentRequests().at(-1)?.body as { messages: unknown[] };
    expect(sent.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: call!.id, content: '18 C and sunny' }],
    });
  });

  // Each error in its own test: a 429's retry-after cools the deployment down until the next test's reset.
  const post = async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
    });
    const body = (await res.json()) as { error: { message: string; type: string; code: string | null } };
    expectSchema('ErrorResponse', body);
    return { status: res.status, error: body.error, headers: res.headers };
  };

  it('an overloaded Anthropic (529) is a 503 naming the deployment', async () => {
    gw.sim('claude').setFaults([{ type: 'error', status: 529 }]);
    const overloaded = await post();
    expect(overloaded.status).toBe(503);
    expect(overloaded.error.message).toContain('claude');
  });

  it('an Anthropic 429 is a RateLimitError with its Retry-After', async () => {
    gw.sim('claude').setFaults([{ type: 'error', status: 429, retry_after_s: 4 }]);
    const limited = await gw
      .client()
      .chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('4');
  });

  it("an Anthropic 400 is a 400 invalid_request_error keeping Anthropic's reason", async () => {
    gw.sim('claude').setFaults([{ type: 'error', status: 400, message: 'messages.0.content: bad block' }]);
    const bad = await post();
    expect(bad.status).toBe(400);
    expect(bad.error.message).toContain('messages.0.content: bad block');
    expect(bad.error.type).toBe('invalid_request_error');
  });

  it('an in-stream error event reaches the client as an error the SDK throws', async () => {
    gw.sim('claude').setFaults([{ type: 'mid_stream_error', after_chunks: 5 }]);
    const error = await streamed('claude', 'Break it').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
  });
});

describe('failover between anthropic and another vendor', () => {
  it('fails over from anthropic before the first byte', async () => {
    gw.sim('claude').setFaults([{ type: 'error', status: 529 }]);
    const { data, response } = await gw
      .client()
      .chat.completions.create({ model: 'claude-then-llama', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(data.model).toBe('llama');
    expect(response.headers.get('x-switchyard-deployment')).toBe('llama');
  });

  it('fails over to anthropic before the first byte, streamed', async () => {
    gw.sim('llama').setFaults([{ type: 'error', status: 503 }]);
    const { text, chunks } = await streamed('llama-then-claude', 'Tell me about rail yards.');
    expect(chunks[0]?.model).toBe(claudeModel);
    expect(text.split(' ')).toHaveLength(30);
  });

  it('finishes on vLLM a stream anthropic broke off, by prefill', async () => {
    const reference = await streamed('llama', 'Tell me about rail yards at length.');
    gw.sim('claude').setFaults([{ type: 'cut', after_chunks: 8, count: 1 }]);
    const finished = await streamed('claude-then-llama', 'Tell me about rail yards at length.');
    expect(finished.text).toBe(reference.text);
    expect(gw.sim('llama').recentRequests().at(-1)?.body).toMatchObject({ continue_final_message: true });
  });

  it('finishes on anthropic a stream vLLM broke off, by prefill of a final assistant turn', async () => {
    const reference = await streamed('llama', 'Tell me about rail yards at length.');
    gw.sim('llama').setFaults([{ type: 'cut', after_chunks: 8, count: 1 }]);
    const finished = await streamed('llama-then-claude', 'Tell me about rail yards at length.');
    expect(finished.text).toBe(reference.text);
    const sent = gw.sim('claude').recentRequests().at(-1)?.body as { messages: Array<{ role: string; content: unknown }> };
    expect(sent.messages.at(-1)).toEqual({ role: 'assistant', content: reference.text.split(' ').slice(0, 8).join(' ') });
  });
});
