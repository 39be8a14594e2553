/**
 * The Gemini adapter end to end: the official openai SDK through the real gateway to the gemini
 * simulator (Google's wire: generateContent, streamGenerateContent?alt=sse, google.rpc errors,
 * x-goog-api-key). Chat, streams, a tool call round trip, usage, an upstream error in OpenAI's
 * shape, failover to and from another vendor before the first byte, and a Gemini stream cut
 * mid-answer finished by prefill on a vLLM fallback (the simulators plan the same answer for the
 * same plain-text conversation whatever their wire), and the `vertex` type on the same simulator
 * (chat, and embeddings through `:predict`).
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { useTestGateway } from '../support/gateway.js';

const model = 'gemini-2.0-flash-001';

const config = `
version: 1
simulators:
  gem: { kind: gemini, model: ${model}, ttft_ms: 1, tpot_ms: 1, output_tokens: 20, api_key: gem-secret }
  gem2: { kind: gemini, model: ${model}, ttft_ms: 1, tpot_ms: 1, output_tokens: 20 }
  oai: { kind: openai, model: gpt-4o-mini-2024-07-18, ttft_ms: 1, tpot_ms: 1, output_tokens: 20 }
  vl: { kind: vllm, model: ${model}, ttft_ms: 1, tpot_ms: 1, output_tokens: 20 }
providers:
  google: { type: gemini, base_url: sim://gem, api_key: "\${GEMINI_API_KEY}" }
  google-nokey: { type: gemini, base_url: sim://gem }
  google2: { type: gemini, base_url: sim://gem2 }
  openai: { type: openai, base_url: sim://oai }
  vllm: { type: vllm, base_url: sim://vl }
  vtx: { type: vertex, base_url: sim://gem, project: rail-yard, location: us-central1, access_token: "\${GEMINI_API_KEY}" }
deployments:
  gemini: { provider: google, model: ${model} }
  gemini-nokey: { provider: google-nokey, model: ${model} }
  gemini2: { provider: google2, model: ${model} }
  gpt: { provider: openai, model: gpt-4o-mini-2024-07-18 }
  llama: { provider: vllm, model: ${model}, capabilities: [prefill] }
  gemini-embed: { provider: google, model: ${model}, operations: [embeddings] }
  vertex: { provider: vtx, model: ${model} }
  vertex-embed: { provider: vtx, model: ${model}, operations: [embeddings] }
routes:
  chat: { targets: [gemini] }
  nokey: { targets: [gemini-nokey] }
  gemini-first: { targets: [gemini], fallbacks: [gpt] }
  gemini-last: { targets: [gpt], fallbacks: [gemini2] }
  continued: { targets: [gemini], fallbacks: [llama], timeouts: { first_token_ms: 2000, idle_ms: 300, total_ms: 10000 } }
  reference: { targets: [llama] }
  embed: { targets: [gemini-embed] }
  vertex: { targets: [vertex] }
  vertex-embed: { targets: [vertex-embed] }
`;

const gw = useTestGateway(config, { GEMINI_API_KEY: 'gem-secret' });

const messages = [{ role: 'user' as const, content: 'Tell me about rail yards at length.' }];
const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('gemini through the gateway', () => {
  it('answers a chat with a schema-valid body, usage, and sends Google’s request with the key header', async () => {
    const data = await gw.client().chat.completions.create({
      model: 'chat',
      messages: [{ role: 'system', content: 'You are terse.' }, ...messages],
      max_tokens: 50,
    });
    expectSchema('CreateChatCompletionResponse', data);
    expect(data.model).toBe(model);
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBe(20);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    const seen = gw.sim('gem').recentRequests().at(-1)!;
    expect(seen.path).toBe(`/v1beta/models/${model}:generateContent`);
    expect(seen.headers['x-goog-api-key']).toBe('gem-secret');
    expect(seen.headers['authorization']).toBeUndefined();
    expect(seen.body).toMatchObject({
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      contents: [{ role: 'user', parts: [{ text: messages[0].content }] }],
      generationConfig: { maxOutputTokens: 50 },
    });
  });

  it('streams: one role, one finish, the same text as the non-stream answer, usage when asked', async () => {
    const whole = (await gw.client().chat.completions.create({ model: 'chat', messages })).choices[0]!.message.content;
    const stream = await gw
      .client()
      .chat.completions.create({ model: 'chat', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const c of chunks) expectSchema('CreateChatCompletionStreamResponse', c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(whole);
    expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined)).toHaveLength(1);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason != null).map((c) => c.choices[0]!.finish_reason)).toEqual(['stop']);
    const usage = chunks.at(-1)!.usage!;
    expect(usage.completion_tokens).toBe(20);
    expect(gw.sim('gem').recentRequests().at(-1)!.path).toBe(`/v1beta/models/${model}:streamGenerateContent`);
  });

  it('makes a tool call and takes its result back (ids made up by the gateway, mapped back to the name)', async () => {
    const client = gw.client();
    const first = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weather],
    });
    expectSchema('CreateChatCompletionResponse', first);
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.id).toMatch(/^call_/);
    const second = await client.chat.completions.create({
      model: 'chat',
      tools: [weather],
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 24 C' },
      ],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    const sent = gw.sim('gem').recentRequests().at(-1)!.body as { contents: Array<{ role: string; parts: unknown[] }> };
    expect(sent.contents.at(-1)).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny, 24 C' } } }],
    });
    expect(sent.contents[1]!.parts[0]).toEqual({ functionCall: { name: 'get_weather', args: { city: 'Paris' } } });
  });

  it('streams a tool call: whole arguments in one delta, finish_reason tool_calls (Gemini says STOP)', async () => {
    const stream = gw.client().chat.completions.stream({
      model: 'chat',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weather],
      tool_choice: 'required',
    });
    const done = await stream.finalChatCompletion();
    expect(done.choices[0]!.finish_reason).toBe('tool_calls');
    const call = done.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('maps Google errors to the OpenAI shape: RESOURCE_EXHAUSTED is a 429 with its RetryInfo wait', async () => {
    gw.sim('gem').setFaults([{ type: 'error', status: 429, retry_after_s: 3 }]);
    const err = await gw
      .client()
      .chat.completions.create({ model: 'chat', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get('retry-after')).toBe('3');
    expect(apiError.error).toMatchObject({ type: expect.any(String) as unknown, code: expect.anything() as unknown });
  });

  it('an invalid request is the client’s 400; a missing key is the gateway’s auth failure, not the client’s', async () => {
    gw.sim('gem').setFaults([{ type: 'error', status: 400, message: '* GenerateContentRequest.contents: contents is not specified\n' }]);
    const bad = await gw
      .client()
      .chat.completions.create({ model: 'chat', messages })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    const noKey = await gw
      .client()
      .chat.completions.create({ model: 'nokey', messages })
      .catch((e: unknown) => e);
    expect(noKey).toBeInstanceOf(OpenAI.APIError);
    expect((noKey as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });

  it('fails over from Gemini to OpenAI before the first byte', async () => {
    gw.sim('gem').setFaults([{ type: 'error', status: 503 }]);
    const { data, response } = await gw.client().chat.completions.create({ model: 'gemini-first', messages, stream: false }).withResponse();
    expect(data.model).toBe('gpt-4o-mini-2024-07-18');
    expect(response.headers.get('x-switchyard-deployment')).toBe('gpt');
    expect(gw.sim('gem').stats().byOperation.chat).toBeGreaterThanOrEqual(1);
    expect(gw.sim('oai').stats().byOperation.chat).toBe(1);
  });

  it('fails over from OpenAI to Gemini before the first byte of a stream', async () => {
    gw.sim('oai').setFaults([{ type: 'error', status: 500 }]);
    const stream = await gw.client().chat.completions.create({ model: 'gemini-last', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.model).toBe(model);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason != null)).toHaveLength(1);
    expect(gw.sim('gem2').stats().byOperation.chat).toBe(1);
  });

  it('finishes a Gemini stream cut mid-answer on a vLLM fallback by prefill: one complete answer', async () => {
    const reference = (await gw.client().chat.completions.create({ model: 'reference', messages })).choices[0]!.message.content!;
    gw.sim('gem').setFaults([{ type: 'cut', after_chunks: 8 }]);
    const stream = await gw.client().chat.completions.create({ model: 'continued', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(reference);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason != null)).toHaveLength(1);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const sent = gw.sim('vl').recentRequests().at(-1)!.body as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages.at(-1)!.role).toBe('assistant');
  });

  it('ends a stream with an error event when Gemini fails mid-stream and nothing can continue it', async () => {
    gw.sim('gem').setFaults([{ type: 'mid_stream_error', after_chunks: 3 }]);
    const stream = await gw.client().chat.completions.create({ model: 'chat', messages, stream: true });
    const err = await (async () => {
      for await (const chunk of stream) void chunk;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });

  it('embeds through embedContent and batchEmbedContents, floats and base64 alike', async () => {
    const client = gw.client();
    const one = await client.embeddings.create({ model: 'embed', input: 'rail yards', encoding_format: 'float' });
    const many = await client.embeddings.create({ model: 'embed', input: ['rail yards', 'switches'] });
    expect(one.data).toHaveLength(1);
    expect(many.data).toHaveLength(2);
    expect(many.data[0]!.embedding[0]).toBeCloseTo(one.data[0]!.embedding[0]!, 6);
    const paths = gw
      .sim('gem')
      .recentRequests()
      .slice(-2)
      .map((r) => r.path);
    expect(paths).toEqual([`/v1beta/models/${model}:embedContent`, `/v1beta/models/${model}:batchEmbedContents`]);
  });

  it('reaches the same models through Vertex AI: project and location path, bearer token, same answer', async () => {
    const direct = (await gw.client().chat.completions.create({ model: 'chat', messages })).choices[0]!.message.content;
    const data = await gw.client().chat.completions.create({ model: 'vertex', messages });
    expectSchema('CreateChatCompletionResponse', data);
    expect(data.choices[0]!.message.content).toBe(direct);
    const seen = gw.sim('gem').recentRequests().at(-1)!;
    expect(seen.path).toBe(`/v1/projects/rail-yard/locations/us-central1/publishers/google/models/${model}:generateContent`);
    expect(seen.headers['authorization']).toBe('Bearer gem-secret');
    const stream = await gw.client().chat.completions.create({ model: 'vertex', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(direct);
  });

  it('embeds through Vertex AI’s :predict: single and list input, floats and base64, usage from token_count', async () => {
    const client = gw.client();
    const one = await client.embeddings.create({ model: 'vertex-embed', input: 'rail yards', encoding_format: 'float' });
    expectSchema('CreateEmbeddingResponse', one);
    expect(one.data).toHaveLength(1);
    expect(one.usage.prompt_tokens).toBe(3);
    const seen = gw.sim('gem').recentRequests().at(-1)!;
    expect(seen.path).toBe(`/v1/projects/rail-yard/locations/us-central1/publishers/google/models/${model}:predict`);
    expect(seen.headers['authorization']).toBe('Bearer gem-secret');
    expect(seen.body).toEqual({ instances: [{ content: 'rail yards' }] });
    // openai-node asks for base64 when its caller does not choose, and decodes it back to floats.
    const many = await client.embeddings.create({ model: 'vertex-embed', input: ['rail yards', 'switches'] });
    expect(many.data.map((d) => d.index)).toEqual([0, 1]);
    expect(many.data[0]!.embedding).toHaveLength(one.data[0]!.embedding.length);
    many.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(one.data[0]!.embedding[i]!, 6));
    expect(many.usage.prompt_tokens).toBe(3 + 2);
    expect(gw.sim('gem').recentRequests().at(-1)!.body).toMatchObject({ instances: [{ content: 'rail yards' }, { content: 'switches' }] });
    const raw = await client.embeddings.create({ model: 'vertex-embed', input: 'rail yards', encoding_format: 'base64', dimensions: 8 });
    expect(typeof raw.data[0]!.embedding).toBe('string');
    expect(Buffer.from(raw.data[0]!.embedding as unknown as string, 'base64')).toHaveLength(8 * 4);
    expect(gw.sim('gem').recentRequests().at(-1)!.body).toEqual({
      instances: [{ content: 'rail yards' }],
      parameters: { outputDimensionality: 8 },
    });
    const direct = await client.embeddings.create({ model: 'embed', input: 'rail yards', encoding_format: 'float' });
    expect(one.data[0]!.embedding).toEqual(direct.data[0]!.embedding);
  });
});
