/**
 * Clients other than the openai SDK work unmodified against the gateway: the Vercel AI SDK's OpenAI
 * provider (chat completions, streaming, tool calls, embeddings) and plain curl for a streamed answer.
 * LangChain's @langchain/openai is not here: its current releases need Node 22 (engines >=22).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createOpenAI } from '@ai-sdk/openai';
import { embed, embedMany, generateText, jsonSchema, streamText, tool } from 'ai';
import { expectSchema } from '../support/openapi.js';
import { demoConfig, useTestGateway } from '../support/gateway.js';

const gw = useTestGateway(demoConfig());
const provider = () => createOpenAI({ baseURL: gw.baseURL, apiKey: 'any-key' });
const prompt = 'Say something about switchyards.';

describe('Vercel AI SDK (@ai-sdk/openai, chat completions API)', () => {
  it('generateText gets the answer, its finish reason and usage', async () => {
    const result = await generateText({ model: provider().chat('chat'), prompt, maxRetries: 0 });
    const direct = await gw.client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: prompt }] });
    expect(result.text).toBe(direct.choices[0]!.message.content);
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.response.headers?.['x-switchyard-route']).toBe('chat');
  });

  it('streamText streams the same text to the end, with usage', async () => {
    const result = streamText({ model: provider().chat('chat'), prompt, maxRetries: 0 });
    let text = '';
    let deltas = 0;
    for await (const delta of result.textStream) {
      text += delta;
      deltas += 1;
    }
    const unary = await generateText({ model: provider().chat('chat'), prompt, maxRetries: 0 });
    expect(deltas).toBeGreaterThan(1);
    expect(text).toBe(unary.text);
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it('receives a tool call with parsed arguments, streamed and not', async () => {
    const tools = {
      get_weather: tool({
        description: 'Weather for a city',
        inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
      }),
    };
    const args = { model: provider().chat('chat'), prompt: 'What is the weather in Oslo?', tools, toolChoice: 'required' as const, maxRetries: 0 };
    const unary = await generateText(args);
    expect(unary.finishReason).toBe('tool-calls');
    expect(unary.toolCalls).toHaveLength(1);
    expect(unary.toolCalls[0]!.toolName).toBe('get_weather');
    expect(unary.toolCalls[0]!.input).toHaveProperty('city');

    const streamed = streamText(args);
    const calls = await streamed.toolCalls;
    expect(await streamed.finishReason).toBe('tool-calls');
    expect(calls.map((c) => [c.toolName, c.input])).toEqual(unary.toolCalls.map((c) => [c.toolName, c.input]));
  });

  it('embed and embedMany get vectors of the model dimension', async () => {
    const model = provider().textEmbeddingModel('embed');
    const one = await embed({ model, value: 'rail yard', maxRetries: 0 });
    const direct = await gw.client().embeddings.create({ model: 'embed', input: 'rail yard', encoding_format: 'float' });
    expect(one.embedding).toHaveLength(direct.data[0]!.embedding.length);
    expect(one.embedding[0]).toBeCloseTo(direct.data[0]!.embedding[0]!, 6);
    const many = await embedMany({ model, values: ['a', 'b', 'c'], maxRetries: 0 });
    expect(many.embeddings).toHaveLength(3);
    for (const e of many.embeddings) expect(e).toHaveLength(one.embedding.length);
  });
});

describe('curl', () => {
  it('gets a streamed answer framed as OpenAI frames it', async () => {
    const { stdout } = await promisify(execFile)('curl', [
      '-sS', '-N', '--max-time', '10', `${gw.baseURL}/chat/completions`,
      '-H', 'content-type: application/json',
      '-d', JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: prompt }] }),
    ]);
    const events = stdout.split('\n\n').filter((e) => e.length > 0);
    expect(events.length).toBeGreaterThan(2);
    for (const e of events) expect(e.startsWith('data: ')).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    for (const e of events.slice(0, -1)) expectSchema('CreateChatCompletionStreamResponse', JSON.parse(e.slice('data: '.length)));
  });
});
