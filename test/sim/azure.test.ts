/**
 * The azure-kind simulator through the official SDK's AzureOpenAI client (deployment URLs, the
 * api-version query, the api-key header) and the plain OpenAI client on the v1 API, and through a raw
 * client for what the SDKs hide: the filter-only first chunk, filter verdicts, Azure's error bodies and
 * headers, and faults in Azure's wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { AzureOpenAI } from 'openai';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { azureChatModel, azureEmbeddingsModel } from '../../sim/native/azure/index.js';
import { expectSchema } from '../support/openapi.js';
import { jsonChunks } from './helpers.js';

const DEPLOYMENT = 'chat-prod';
const KEY = 'azure-sim-key';
const VERSION = '2024-10-21';
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Tell me a story about trains.' }];
let sim: RunningSimulator;
let azure: AzureOpenAI;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'azure', model: DEPLOYMENT, apiKey: KEY, ttftMs: 2, tpotMs: 1, outputTokens: 8 });
  azure = new AzureOpenAI({ endpoint: sim.url, apiKey: KEY, apiVersion: VERSION, maxRetries: 0 });
});
afterAll(async () => {
  await sim?.close();
});

function raw(path: string, body: unknown, headers: Record<string, string> = { 'api-key': KEY }): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const chatPath = `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=${VERSION}`;

describe('the AzureOpenAI client', () => {
  it('chats over a deployment URL with the api-version query and the api-key header', async () => {
    const completion = await azure.chat.completions.create({ model: DEPLOYMENT, messages });
    expectSchema('CreateChatCompletionResponse', completion);
    expect(completion.model).toBe(azureChatModel);
    expect(completion.choices[0]!.message.content).toMatch(/\w/);
    const sent = sim.recentRequests().at(-1)!;
    expect(sent.path).toBe(`/openai/deployments/${DEPLOYMENT}/chat/completions`);
    expect(sent.headers['api-key']).toBe(KEY);
    expect(sent.headers.authorization).toBeUndefined();
  });

  it('streams, and its accumulator completes over the filter-only first chunk', async () => {
    const stream = azure.chat.completions.stream({ model: DEPLOYMENT, messages, stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(final.usage?.completion_tokens).toBe(8);
    const unary = await azure.chat.completions.create({ model: DEPLOYMENT, messages });
    expect(final.choices[0]!.message.content).toBe(unary.choices[0]!.message.content);
  });

  it('calls tools', async () => {
    const completion = await azure.chat.completions.create({
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'What is the weather in Oslo?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      ],
    });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toHaveProperty('city');
  });

  it('embeds under the deployment path, in base64 as the SDK asks', async () => {
    const result = await azure.embeddings.create({ model: DEPLOYMENT, input: ['a', 'b'] });
    expect(result.model).toBe(azureEmbeddingsModel);
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding).toHaveLength(16);
    expect(sim.recentRequests().at(-1)!.path).toBe(`/openai/deployments/${DEPLOYMENT}/embeddings`);
  });

  it('lists the resource models (the health path)', async () => {
    const res = await fetch(`${sim.url}/openai/models?api-version=${VERSION}`, { headers: { 'api-key': KEY } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toContain(azureChatModel);
  });

  it('raises the SDK error classes for Azure bodies', async () => {
    const wrongKey = new AzureOpenAI({ endpoint: sim.url, apiKey: 'nope', apiVersion: VERSION, maxRetries: 0 });
    await expect(wrongKey.chat.completions.create({ model: DEPLOYMENT, messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = azure.chat.completions.create({ model: 'no-such-deployment', messages });
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'DeploymentNotFound' });
  });

  it('accepts an Entra ID token as a bearer', async () => {
    const entra = new AzureOpenAI({ endpoint: sim.url, azureADTokenProvider: async () => KEY, apiVersion: VERSION, maxRetries: 0 });
    await expect(entra.chat.completions.create({ model: DEPLOYMENT, messages })).resolves.toHaveProperty('object', 'chat.completion');
    expect(sim.recentRequests().at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe('the v1 API with the plain OpenAI client', () => {
  it('takes the deployment as model, with no api-version', async () => {
    const client = new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: 'unused', defaultHeaders: { 'api-key': KEY }, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: DEPLOYMENT, messages });
    expectSchema('CreateChatCompletionResponse', completion);
    await expect(client.chat.completions.create({ model: 'other', messages })).rejects.toMatchObject({
      status: 404,
      code: 'DeploymentNotFound',
    });
  });
});

describe('the wire', () => {
  it('opens a stream with the filter-only chunk and puts verdicts on every choice', async () => {
    const res = await raw(chatPath, { messages, stream: true });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const chunks = jsonChunks(await res.text());
    expect(chunks[0]).toMatchObject({ id: '', object: '', model: '', created: 0, choices: [] });
    expect(chunks[0]!['prompt_filter_results']).toHaveLength(1);
    for (const chunk of chunks.slice(1)) {
      expect(chunk['model']).toBe(azureChatModel);
      for (const choice of chunk['choices'] as Array<Record<string, unknown>>) expect(choice['content_filter_results']).toBeDefined();
    }
  });

  it('adds the filter verdicts to whole answers', async () => {
    const body = (await (await raw(chatPath, { messages })).json()) as Record<string, unknown>;
    expect(body['prompt_filter_results']).toHaveLength(1);
    expect((body['choices'] as Array<Record<string, unknown>>)[0]!['content_filter_results']).toHaveProperty('hate');
  });

  it("answers a deployment URL without api-version with Azure's 404, and an unknown version with a 400", async () => {
    const none = await raw(`/openai/deployments/${DEPLOYMENT}/chat/completions`, { messages });
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
    const bad = await raw(`/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=yesterday`, { messages });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'BadRequest', message: 'API version not supported' } });
  });

  it('checks the api-key header', async () => {
    const res = await raw(chatPath, { messages }, { authorization: `Bearer wrong` });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('401');
  });

  it('refuses an obviously bad request with a 400 in the OpenAI validation shape', async () => {
    const res = await raw(chatPath, { messages: [] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages', code: null } });
  });

  it('answers a 429 fault with Azure headers and body', async () => {
    sim.setFaults([{ type: 'error', status: 429, retry_after_ms: 1500, retry_after_s: 2, count: 1 }]);
    const res = await raw(chatPath, { messages });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after-ms')).toBe('1500');
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(res.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('429');
    expect(body.error.message).toMatch(/exceeded call rate limit/);
  });

  it('answers a content_filter fault with the ResponsibleAIPolicyViolation body', async () => {
    sim.setFaults([{ type: 'error', status: 400, code: 'content_filter', count: 1 }]);
    const res = await raw(chatPath, { messages });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'content_filter', param: 'prompt', innererror: { code: 'ResponsibleAIPolicyViolation' } },
    });
  });

  it('reports a mid-stream error in Azure shape and drift as another model version', async () => {
    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 2, count: 1 }]);
    const text = await (await raw(chatPath, { messages, stream: true })).text();
    const last = jsonChunks(text).at(-1)!;
    expect(last).toMatchObject({ error: { code: '500' } });
    sim.setFaults([{ type: 'drift', model: 'gpt-4o-2024-11-20', count: 1 }]);
    const drifted = (await (await raw(chatPath, { messages })).json()) as { model: string };
    expect(drifted.model).toBe('gpt-4o-2024-11-20');
  });

  it('cuts a stream as asked', async () => {
    sim.setFaults([{ type: 'cut', after_chunks: 3, count: 1 }]);
    const stream = await azure.chat.completions.create({ model: DEPLOYMENT, messages, stream: true });
    await expect(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
    ).rejects.toThrow();
  });
});
