/**
 * Azure OpenAI end to end: the openai SDK through the gateway to the azure-kind simulator (deployment
 * URLs, the api-key header from the environment, Azure's filter-only first chunk and error bodies).
 * Answers, streams and tool calls come back in OpenAI's shape; Azure's errors become OpenAI-shaped
 * ones with the right status; a failure before the first byte fails over to and from a vLLM pool; a
 * stream cut mid-answer is finished by the pool (prefill); an auto-upgraded deployment shows as drift.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { useTestGateway } from '../support/gateway.js';
import { azureChatModel } from '../../sim/native/azure/index.js';

const config = `
version: 1
simulators:
  az: { kind: azure, model: chat-prod, ttft_ms: 1, tpot_ms: 1, output_tokens: 16, api_key: az-secret-key-0123456789 }
  pool: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 16 }
providers:
  azure-east:
    type: azure
    base_url: sim://az
    api_key: \${AZURE_OPENAI_API_KEY}
    model_versions: { chat-prod: ${azureChatModel} }
  azure-probed:
    type: azure
    base_url: sim://az
    api_key: \${AZURE_OPENAI_API_KEY}
    health_check: { interval_ms: 50, timeout_ms: 500 }
  azure-wrong-key: { type: azure, base_url: sim://az, api_key: not-the-key }
  gpu: { type: vllm, base_url: sim://pool }
deployments:
  chat@azure: { provider: azure-east, model: chat-prod, capabilities: [tools] }
  embed@azure: { provider: azure-east, model: chat-prod, operations: [embeddings] }
  probed@azure: { provider: azure-probed, model: chat-prod }
  wrong-key@azure: { provider: azure-wrong-key, model: chat-prod }
  llama@gpu: { provider: gpu, model: llama, capabilities: [tools, prefill] }
routes:
  azure: { targets: [chat@azure] }
  azure-first:
    targets: [chat@azure]
    fallbacks: [llama@gpu]
    timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 }
  pool-first: { targets: [llama@gpu], fallbacks: [chat@azure] }
  pool: { targets: [llama@gpu] }
  embed: { targets: [embed@azure] }
  probed: { targets: [probed@azure] }
  wrong-key: { targets: [wrong-key@azure] }
`;

const gw = useTestGateway(config, { AZURE_OPENAI_API_KEY: 'az-secret-key-0123456789' });
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Tell me about rail yards at length.' }];
const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function collect(model: string, extra: Partial<OpenAI.ChatCompletionCreateParamsStreaming> = {}) {
  const stream = await gw.client().chat.completions.create({ model, messages, stream: true, ...extra });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const textOf = (chunks: readonly OpenAI.ChatCompletionChunk[]): string => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

describe('azure through the gateway', () => {
  it('answers a chat in OpenAI shape, with usage, over a deployment URL signed with api-key', async () => {
    const { data, response } = await gw.client().chat.completions.create({ model: 'azure', messages }).withResponse();
    expectSchema('CreateChatCompletionResponse', data);
    expect(data.choices[0]!.message.content).toMatch(/\w/);
    expect(data.usage).toMatchObject({ completion_tokens: 16 });
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(response.headers.get('x-switchyard-deployment')).toBe('chat@azure');
    // The last POST: the probed provider's health checks GET the same simulator meanwhile.
    const sent = gw
      .sim('az')
      .recentRequests()
      .findLast((r) => r.method === 'POST')!;
    expect(sent.path).toBe('/openai/deployments/chat-prod/chat/completions');
    expect(sent.headers['api-key']).toBe('az-secret-key-0123456789');
    expect(sent.headers.authorization).toBeUndefined();
  });

  it('streams without the filter-only chunk, with usage when asked', async () => {
    const chunks = await collect('azure', { stream_options: { include_usage: true } });
    for (const chunk of chunks) {
      expectSchema('CreateChatCompletionStreamResponse', chunk);
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.id).not.toBe('');
    }
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 16 });
    const unary = await gw.client().chat.completions.create({ model: 'azure', messages });
    expect(textOf(chunks)).toBe(unary.choices[0]!.message.content);
  });

  it('round-trips a tool call', async () => {
    const ask: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Oslo?' }];
    const first = await gw.client().chat.completions.create({ model: 'azure', messages: ask, tools: [weatherTool] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    const second = await gw.client().chat.completions.create({
      model: 'azure',
      tools: [weatherTool],
      messages: [...ask, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temp_c": 4}' }],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toMatch(/\w/);
    // The streamed form accumulates in the SDK's own helper.
    const stream = gw.client().chat.completions.stream({ model: 'azure', messages: ask, tools: [weatherTool] });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls![0]!.id).toMatch(/^call_/);
  });

  it('embeds under the deployment path', async () => {
    const result = await gw.client().embeddings.create({ model: 'embed', input: ['rail', 'yard'] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding.length).toBe(16);
    expect(
      gw
        .sim('az')
        .recentRequests()
        .findLast((r) => r.method === 'POST')!.path,
    ).toBe('/openai/deployments/chat-prod/embeddings');
  });

  it("maps Azure's 429 to a RateLimitError with Retry-After", async () => {
    gw.sim('az').setFaults([{ type: 'error', status: 429, retry_after_ms: 3000, retry_after_s: 3 }]);
    const err = await gw
      .client()
      .chat.completions.create({ model: 'azure', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.headers.get('retry-after-ms')).toBe('3000');
    expect(e.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
  });

  it("maps Azure's content-filter refusal to a 400 the client sees, without failover", async () => {
    gw.sim('az').setFaults([{ type: 'error', status: 400, code: 'content_filter' }]);
    const err = await gw
      .client()
      .chat.completions.create({ model: 'azure-first', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.code).toBe('content_filter');
    expect(gw.sim('pool').stats().byOperation.chat).toBe(0);
  });

  it("maps Azure's 401 (the gateway's credential) to a 502 that does not blame the client", async () => {
    const err = await gw
      .client()
      .chat.completions.create({ model: 'wrong-key', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(502);
    expect(e.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
  });

  it("probes the resource's model list with the key, never a completion", async () => {
    await expect
      .poll(
        () =>
          gw
            .sim('az')
            .recentRequests()
            .filter((r) => r.path === '/openai/models').length,
        { timeout: 3000 },
      )
      .toBeGreaterThan(0);
    const probe = gw
      .sim('az')
      .recentRequests()
      .find((r) => r.path === '/openai/models')!;
    expect(probe.method).toBe('GET');
    expect(probe.headers['api-key']).toBe('az-secret-key-0123456789');
    const { response } = await gw.client().chat.completions.create({ model: 'probed', messages }).withResponse();
    expect(response.status).toBe(200);
  });

  it('fails over from Azure to the pool before the first byte, and back', async () => {
    gw.sim('az').setFaults([{ type: 'error', status: 503 }]);
    const toPool = await gw.client().chat.completions.create({ model: 'azure-first', messages }).withResponse();
    expect(toPool.response.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
    gw.sim('az').clearFaults();
    gw.sim('az').resetStats();
    gw.sim('pool').setFaults([{ type: 'error', status: 500 }]);
    const chunks = await collect('pool-first');
    expect(chunks.at(-1)!.choices[0]?.finish_reason ?? chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(gw.sim('az').stats().byOperation.chat).toBe(1);
  });

  it('finishes an Azure stream cut mid-answer on the pool, by prefill', async () => {
    const whole = textOf(await collect('pool'));
    gw.sim('az').setFaults([{ type: 'cut', after_chunks: 5, count: 1 }]);
    const chunks = await collect('azure-first');
    for (const chunk of chunks) expectSchema('CreateChatCompletionStreamResponse', chunk);
    expect(textOf(chunks)).toBe(whole);
    const continued = gw.sim('pool').recentRequests().at(-1)!.body as { continue_final_message?: boolean };
    expect(continued.continue_final_message).toBe(true);
  });

  it('counts an auto-upgraded deployment (another model version) as drift', async () => {
    const metric = async (): Promise<number> => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('switchyard_model_drift_total{deployment="chat@azure",served="gpt-4o-2024-11-20"}'));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    await gw.client().chat.completions.create({ model: 'azure', messages });
    expect(await metric()).toBe(0);
    gw.sim('az').setFaults([{ type: 'drift', model: 'gpt-4o-2024-11-20', count: 1 }]);
    const drifted = await gw.client().chat.completions.create({ model: 'azure', messages });
    expect(drifted.model).toBe('gpt-4o-2024-11-20');
    expect(await metric()).toBe(1);
  });
});
