/**
 * The `bedrock` provider end to end: the openai SDK through the gateway to the bedrock simulator
 * (Converse and ConverseStream's binary frames on the wire, SigV4-signed with keys from the
 * environment, or a Bedrock API key as a bearer token). Chat, streams, a tool call round trip, usage,
 * Bedrock's errors in the OpenAI envelope with the right status, an exception frame inside the stream,
 * failover to and from another vendor before the first byte, and a stream cut mid-answer finished on
 * the other vendor by prefill, both ways. The simulators share the answer plan, so one conversation
 * reads the same from any of them.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { useTestGateway } from '../support/gateway.js';

const claude = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0';
const timeouts = 'timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 }';

const config = `
version: 1
simulators:
  aws: { kind: bedrock, model: ${claude}, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
  aws-key: { kind: bedrock, model: ${claude}, ttft_ms: 1, tpot_ms: 1, output_tokens: 30, api_key: "\${BEDROCK_API_KEY}" }
  llama: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
providers:
  bedrock:
    type: bedrock
    base_url: sim://aws
    region: us-west-2
    access_key_id: "\${AWS_ACCESS_KEY_ID}"
    secret_access_key: "\${AWS_SECRET_ACCESS_KEY}"
  bedrock-key: { type: bedrock, base_url: sim://aws-key, region: us-east-1, api_key: "\${BEDROCK_API_KEY}" }
  vllm: { type: vllm, base_url: sim://llama }
deployments:
  claude: { provider: bedrock, model: ${claude}, capabilities: [tools, vision, prefill] }
  claude-key: { provider: bedrock-key, model: ${claude} }
  llama: { provider: vllm, model: llama, capabilities: [tools, prefill] }
routes:
  claude: { targets: [claude], retries: { same_deployment: 0 } }
  claude-key: { targets: [claude-key] }
  claude-then-llama: { targets: [claude], fallbacks: [llama], retries: { same_deployment: 0 }, ${timeouts} }
  llama-then-claude: { targets: [llama], fallbacks: [claude], retries: { same_deployment: 0 }, ${timeouts} }
  llama: { targets: [llama] }
`;

const gw = useTestGateway(config, {
  AWS_ACCESS_KEY_ID: 'AKIDE2EEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'e2e-secret-access-key',
  BEDROCK_API_KEY: 'bedrock-e2e-api-key',
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function streamed(model: string, content: string, options: { include_usage?: boolean } = {}) {
  const stream = await gw.client().chat.completions.create({
    model,
    messages: [{ role: 'user', content }],
    stream: true,
    ...(options.include_usage ? { stream_options: { include_usage: true } } : {}),
  });
  let text = '';
  const chunks = [];
  for await (const chunk of stream) {
    expectSchema('CreateChatCompletionStreamResponse', chunk);
    chunks.push(chunk);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, chunks };
}

describe('bedrock through the gateway', () => {
  it('answers a chat completion in OpenAI shape; upstream, a SigV4-signed Converse request', async () => {
    const { data, response } = await gw
      .client()
      .chat.completions.create({
        model: 'claude',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hello there' },
        ],
        temperature: 1.7,
        max_tokens: 100,
      })
      .withResponse();
    expectSchema('CreateChatCompletionResponse', data);
    expect(data.model).toBe(claude);
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.choices[0]?.message.content?.split(' ')).toHaveLength(30);
    expect(data.usage).toMatchObject({ completion_tokens: 30, prompt_tokens_details: { cached_tokens: 0 } });
    expect(response.headers.get('x-switchyard-deployment')).toBe('claude');

    const [sent] = gw.sim('aws').recentRequests();
    expect(sent?.path).toBe(`/model/${encodeURIComponent(claude)}/converse`);
    expect(String(sent?.headers['authorization'])).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDE2EEXAMPLE\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=/,
    );
    expect(sent?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(sent?.headers['host']).toBe('bedrock-runtime.us-west-2.amazonaws.com');
    expect(sent?.body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hello there' }] }],
      system: [{ text: 'You are terse.' }],
      inferenceConfig: { maxTokens: 100, temperature: 1 },
    });
  });

  it('sends a Bedrock API key as a bearer token instead of signing', async () => {
    const answer = await gw.client().chat.completions.create({ model: 'claude-key', messages: [{ role: 'user', content: 'Hi' }] });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    const [sent] = gw.sim('aws-key').recentRequests();
    expect(sent?.headers['authorization']).toBe('Bearer bedrock-e2e-api-key');
    expect(sent?.headers['x-amz-date']).toBeUndefined();
  });

  it('streams from the binary frames, with the usage chunk the client asked for, the same text as unary', async () => {
    const { text, chunks } = await streamed('claude', 'Stream please', { include_usage: true });
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({ completion_tokens: 30 });
    const unary = await gw.client().chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Stream please' }] });
    expect(text).toBe(unary.choices[0]?.message.content);
    expect(gw.sim('aws').recentRequests()[0]?.path).toBe(`/model/${encodeURIComponent(claude)}/converse-stream`);
  });

  it('runs a tool call round trip, streamed and not', async () => {
    const client = gw.client();
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await client.chat.completions.create({ model: 'claude', messages, tools: [weatherTool] });
    expectSchema('CreateChatCompletionResponse', first);
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(call?.id).toMatch(/^tooluse_/);

    const stream = client.chat.completions.stream({ model: 'claude', messages, tools: [weatherTool], tool_choice: 'required' });
    const streamedCall = (await stream.finalChatCompletion()).choices[0]?.message.tool_calls?.[0];
    expect(streamedCall?.type === 'function' && JSON.parse(streamedCall.function.arguments)).toEqual({ city: 'Paris' });

    const answer = await client.chat.completions.create({
      model: 'claude',
      tools: [weatherTool],
      messages: [...messages, first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '18 C and sunny' }],
    });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.choices[0]?.message.content).toBeTruthy();
    const sent = gw.sim('aws').recentRequests().at(-1)?.body as { messages: unknown[]; toolConfig: unknown };
    expect(sent.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ toolResult: { toolUseId: call!.id, content: [{ text: '18 C and sunny' }] } }],
    });
    expect(sent.toolConfig).toMatchObject({ tools: [{ toolSpec: { name: 'get_weather' } }] });
  });

  // Each error in its own test: a cooldown or open breaker does not outlive the test (the gateway is reset before each).
  const post = async (model = 'claude') => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
    });
    const body = (await res.json()) as { error: { message: string; type: string; code: string | null } };
    expectSchema('ErrorResponse', body);
    return { status: res.status, error: body.error };
  };

  it('a ThrottlingException is a RateLimitError (429)', async () => {
    gw.sim('aws').setFaults([{ type: 'error', status: 429 }]);
    const limited = await gw
      .client()
      .chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('a ServiceUnavailableException is a 503, a ModelTimeoutException a 504', async () => {
    gw.sim('aws').setFaults([{ type: 'error', status: 503, count: 1 }]);
    expect((await post()).status).toBe(503);
    gw.reload(undefined, { freshState: true });
    gw.sim('aws').setFaults([{ type: 'error', status: 408, count: 1 }]);
    expect((await post()).status).toBe(504);
  });

  it("a ValidationException is a 400 invalid_request_error keeping Bedrock's reason", async () => {
    gw.sim('aws').setFaults([{ type: 'error', status: 400, message: 'Malformed input request: #/messages/0: bad block' }]);
    const bad = await post();
    expect(bad.status).toBe(400);
    expect(bad.error.message).toContain('Malformed input request: #/messages/0: bad block');
    expect(bad.error.type).toBe('invalid_request_error');
  });

  it('an exception frame inside the 200 stream reaches the client as an error the SDK throws', async () => {
    gw.sim('aws').setFaults([{ type: 'mid_stream_error', after_chunks: 5 }]);
    const error = await streamed('claude', 'Break it').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
  });
});

describe('failover between bedrock and another vendor', () => {
  it('fails over from bedrock before the first byte', async () => {
    gw.sim('aws').setFaults([{ type: 'error', status: 503 }]);
    const { data, response } = await gw
      .client()
      .chat.completions.create({ model: 'claude-then-llama', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(data.model).toBe('llama');
    expect(response.headers.get('x-switchyard-deployment')).toBe('llama');
  });

  it('fails over from bedrock before the first byte, streamed, on an exception frame before any text', async () => {
    gw.sim('aws').setFaults([{ type: 'mid_stream_error', after_chunks: 0 }]);
    const { text, chunks } = await streamed('claude-then-llama', 'Tell me about rail yards.');
    expect(chunks[0]?.model).toBe('llama');
    expect(text.split(' ')).toHaveLength(30);
  });

  it('fails over to bedrock before the first byte, streamed', async () => {
    gw.sim('llama').setFaults([{ type: 'error', status: 503 }]);
    const { text, chunks } = await streamed('llama-then-claude', 'Tell me about rail yards.');
    expect(chunks[0]?.model).toBe(claude);
    expect(text.split(' ')).toHaveLength(30);
  });

  it('finishes on vLLM a stream bedrock broke off, by prefill', async () => {
    const reference = await streamed('llama', 'Tell me about rail yards at length.');
    gw.sim('aws').setFaults([{ type: 'cut', after_chunks: 8, count: 1 }]);
    const finished = await streamed('claude-then-llama', 'Tell me about rail yards at length.');
    expect(finished.text).toBe(reference.text);
    expect(gw.sim('llama').recentRequests().at(-1)?.body).toMatchObject({ continue_final_message: true });
  });

  it('finishes on bedrock a stream vLLM broke off, by prefill of a final assistant turn', async () => {
    const reference = await streamed('llama', 'Tell me about rail yards at length.');
    gw.sim('llama').setFaults([{ type: 'cut', after_chunks: 8, count: 1 }]);
    const finished = await streamed('llama-then-claude', 'Tell me about rail yards at length.');
    expect(finished.text).toBe(reference.text);
    const sent = gw.sim('aws').recentRequests().at(-1)?.body as { messages: Array<{ role: string; content: unknown }> };
    expect(sent.messages.at(-1)).toEqual({ role: 'assistant', content: [{ text: reference.text.split(' ').slice(0, 8).join(' ') }] });
  });
});
