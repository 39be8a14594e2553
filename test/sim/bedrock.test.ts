/**
 * The bedrock simulator kind, driven by AWS's official client (@aws-sdk/client-bedrock-runtime): if the
 * SDK accepts its bytes — Converse, ConverseStream's binary frames (the SDK checks every CRC and
 * unmarshals each event), tool use both ways, errors and in-stream exceptions as the SDK's own
 * exception classes, InvokeModel embeddings — the simulator speaks Bedrock faithfully. Also: SigV4 or
 * a bearer API key is required, Bedrock's 400s for what a translating gateway could get wrong, and
 * the faults in Bedrock's own forms.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
  type ConverseStreamOutput,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';

const model = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0';
const apiKey = 'bedrock-api-key-sim';
let sim: RunningSimulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'bedrock', model, ttftMs: 1, tpotMs: 1, outputTokens: 12, apiKey });
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: sim.url,
    credentials: { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' },
    maxAttempts: 1,
    // The client speaks HTTP/2 by default (for bidirectional streams); the simulator, like any plain
    // local endpoint, speaks HTTP/1.1, which the SDK's own HTTP/1.1 handler covers.
    requestHandler: new NodeHttpHandler(),
  });
});
afterAll(() => {
  client.destroy();
  return sim.close();
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

const weatherTool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather for a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
};

const hello: Message[] = [{ role: 'user', content: [{ text: 'Say hello.' }] }];

async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; errorType: string | null; body: unknown }> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body: await res.json() };
}

const modelPath = `/model/${encodeURIComponent(model)}`;

describe('the official AWS SDK accepts the simulator', () => {
  it('Converse: text, stop reason, usage', async () => {
    const out = await client.send(new ConverseCommand({ modelId: model, messages: hello, system: [{ text: 'Be brief.' }] }));
    const text = out.output?.message?.content?.[0]?.text ?? '';
    expect(text.split(' ').length).toBe(12);
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage?.outputTokens).toBe(12);
    expect(out.usage?.totalTokens).toBe((out.usage?.inputTokens ?? 0) + 12);
    expect(out.metrics?.latencyMs).toBeGreaterThanOrEqual(0);
    const recorded = sim.recentRequests().at(-1)!;
    expect(recorded.path).toBe(`/model/${model.replace(':', '%3A')}/converse`);
    expect(String(recorded.headers['authorization'])).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDSIMULATOR\/\d{8}\/us-east-1\/bedrock\/aws4_request/,
    );
  });

  it('ConverseStream: the frames decode into the same answer, in order', async () => {
    const whole = await client.send(new ConverseCommand({ modelId: model, messages: hello }));
    const out = await client.send(new ConverseStreamCommand({ modelId: model, messages: hello }));
    const events = await collect(out.stream);
    expect(events[0]?.messageStart?.role).toBe('assistant');
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe(whole.output?.message?.content?.[0]?.text);
    expect(events.some((e) => e.contentBlockStop?.contentBlockIndex === 0)).toBe(true);
    expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
    expect(events.at(-1)?.metadata?.usage?.outputTokens).toBe(12);
  });

  it('tool use both ways: a toolUse block, then a toolResult answered with text', async () => {
    const ask: Message[] = [{ role: 'user', content: [{ text: 'What is the weather in Paris?' }] }];
    const first = await client.send(new ConverseCommand({ modelId: model, messages: ask, toolConfig: { tools: [weatherTool] } }));
    expect(first.stopReason).toBe('tool_use');
    const use = first.output?.message?.content?.[0]?.toolUse;
    expect(use?.name).toBe('get_weather');
    expect(use?.toolUseId).toMatch(/^tooluse_/);
    expect(use?.input).toEqual({ city: 'Paris' });

    const streamed = await collect(
      (
        await client.send(
          new ConverseStreamCommand({ modelId: model, messages: ask, toolConfig: { tools: [weatherTool], toolChoice: { any: {} } } }),
        )
      ).stream,
    );
    const start = streamed.find((e) => e.contentBlockStart)?.contentBlockStart?.start?.toolUse;
    expect(start?.name).toBe('get_weather');
    const input = streamed.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    expect(JSON.parse(input)).toEqual({ city: 'Paris' });
    expect(streamed.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');

    const answered = await client.send(
      new ConverseCommand({
        modelId: model,
        toolConfig: { tools: [weatherTool] },
        messages: [
          ...ask,
          { role: 'assistant', content: [{ toolUse: use! }] },
          { role: 'user', content: [{ toolResult: { toolUseId: use!.toolUseId!, content: [{ text: '21 C' }] } }] },
        ],
      }),
    );
    expect(answered.stopReason).toBe('end_turn');
    expect(answered.output?.message?.content?.[0]?.text).toBeTruthy();
  });

  it('errors arrive as the SDK exception classes: ThrottlingException, ValidationException', async () => {
    sim.setFaults([{ type: 'error', status: 429, count: 1 }]);
    await expect(client.send(new ConverseCommand({ modelId: model, messages: hello }))).rejects.toBeInstanceOf(ThrottlingException);
    const refused = client.send(new ConverseCommand({ modelId: model, messages: [{ role: 'assistant', content: [{ text: 'Hi' }] }] }));
    await expect(refused).rejects.toBeInstanceOf(ValidationException);
    await expect(refused).rejects.toThrow(/must start with a user message/);
  });

  it('a mid-stream error is a modelStreamErrorException frame inside the 200', async () => {
    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 3, message: 'The model failed.', count: 1 }]);
    const out = await client.send(new ConverseStreamCommand({ modelId: model, messages: hello }));
    const seen: ConverseStreamOutput[] = [];
    const reading = (async () => {
      for await (const event of out.stream ?? []) seen.push(event);
    })();
    await expect(reading).rejects.toBeInstanceOf(ModelStreamErrorException);
    expect(seen.filter((e) => e.contentBlockDelta).length).toBe(3);
  });

  it('InvokeModel embeds for Titan (one text) and Cohere (several)', async () => {
    const titan = await startSimulator({ kind: 'bedrock', model: 'amazon.titan-embed-text-v2:0', embeddingDims: 8 });
    const cohere = await startSimulator({ kind: 'bedrock', model: 'cohere.embed-english-v3', embeddingDims: 8 });
    try {
      const credentials = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'simulator-secret' };
      const forTitan = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: titan.url,
        credentials,
        requestHandler: new NodeHttpHandler(),
      });
      const a = await forTitan.send(
        new InvokeModelCommand({
          modelId: titan.model,
          contentType: 'application/json',
          body: JSON.stringify({ inputText: 'hello world' }),
        }),
      );
      const titanBody = JSON.parse(new TextDecoder().decode(a.body)) as { embedding: number[]; inputTextTokenCount: number };
      expect(titanBody.embedding).toHaveLength(8);
      expect(titanBody.inputTextTokenCount).toBeGreaterThan(0);
      const forCohere = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: cohere.url,
        credentials,
        requestHandler: new NodeHttpHandler(),
      });
      const b = await forCohere.send(
        new InvokeModelCommand({
          modelId: cohere.model,
          contentType: 'application/json',
          body: JSON.stringify({ texts: ['hello world', 'bye'], input_type: 'search_document' }),
        }),
      );
      const cohereBody = JSON.parse(new TextDecoder().decode(b.body)) as { embeddings: number[][] };
      expect(cohereBody.embeddings).toHaveLength(2);
      expect(cohereBody.embeddings[0]).toEqual(titanBody.embedding);
      forTitan.destroy();
      forCohere.destroy();
    } finally {
      await titan.close();
      await cohere.close();
    }
  });
});

describe('authentication as Bedrock requires it', () => {
  const body = { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] };

  it('refuses an unsigned request, accepts the API key as a bearer token, refuses another key', async () => {
    const unsigned = await post(`${modelPath}/converse`, body, {});
    expect(unsigned).toMatchObject({ status: 403, body: { message: 'Missing Authentication Token' } });
    expect(unsigned.errorType).toMatch(/^MissingAuthenticationTokenException:/);
    expect((await post(`${modelPath}/converse`, body, { authorization: `Bearer ${apiKey}` })).status).toBe(200);
    const wrong = await post(`${modelPath}/converse`, body, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.errorType).toMatch(/^UnrecognizedClientException/);
  });

  it('refuses a SigV4 header scoped to another service or without X-Amz-Date', async () => {
    const signature = 'a'.repeat(64);
    const other = `AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock-runtime/aws4_request, SignedHeaders=host, Signature=${signature}`;
    expect((await post(`${modelPath}/converse`, body, { authorization: other, 'x-amz-date': '20250101T000000Z' })).status).toBe(403);
    const right = other.replace('bedrock-runtime', 'bedrock');
    expect((await post(`${modelPath}/converse`, body, { authorization: right })).status).toBe(403);
    expect((await post(`${modelPath}/converse`, body, { authorization: right, 'x-amz-date': '20250101T000000Z' })).status).toBe(200);
  });
});

describe("Bedrock's 400s for what a translating gateway could get wrong", () => {
  const auth = { authorization: `Bearer ${apiKey}` };
  const user = (text: string) => ({ role: 'user', content: [{ text }] });

  it.each([
    ['roles that do not alternate', { messages: [user('a'), user('b')] }, /must alternate between user and assistant/],
    [
      'tool blocks without toolConfig',
      {
        messages: [
          user('weather?'),
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'get_weather', input: {} } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: '21' }] } }] },
        ],
      },
      /toolConfig field must be defined/,
    ],
    ['a temperature above 1', { messages: [user('a')], inferenceConfig: { temperature: 1.5 } }, /inferenceConfig.temperature/],
    ['a block with two members', { messages: [{ role: 'user', content: [{ text: 'a', image: {} }] }] }, /exactly one member/],
  ])('%s', async (_what, request, message) => {
    const res = await post(`${modelPath}/converse`, request, auth);
    expect(res.status).toBe(400);
    expect(res.errorType).toMatch(/^ValidationException/);
    expect((res.body as { message: string }).message).toMatch(message);
  });

  it('an unknown model id is a ValidationException', async () => {
    const res = await post(`/model/${encodeURIComponent('anthropic.claude-v9:0')}/converse`, { messages: [user('a')] }, auth);
    expect(res).toMatchObject({ status: 400, body: { message: 'The provided model identifier is invalid.' } });
  });

  it('continues a final assistant turn (prefill)', async () => {
    const full = await post(`${modelPath}/converse`, { messages: [user('Say hello.')] }, auth);
    const text = (full.body as { output: { message: { content: { text: string }[] } } }).output.message.content[0]!.text;
    const prefix = text.split(' ').slice(0, 4).join(' ');
    const rest = await post(
      `${modelPath}/converse`,
      { messages: [user('Say hello.'), { role: 'assistant', content: [{ text: prefix }] }] },
      auth,
    );
    const continued = (rest.body as { output: { message: { content: { text: string }[] } } }).output.message.content[0]!.text;
    expect(prefix + continued).toBe(text);
  });
});
