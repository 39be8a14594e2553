/**
 * Clients other than the openai SDK work unmodified against the gateway: the Vercel AI SDK's OpenAI
 * provider and LangChain's @langchain/openai (chat completions, streaming, tool calls, embeddings),
 * and plain curl for a streamed answer. @langchain/openai is pinned to 1.5.8, its last release whose
 * engines allow Node 20 (1.5.9 and later need Node 22 and openai 7).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createOpenAI } from '@ai-sdk/openai';
import { embed, embedMany, generateText, jsonSchema, streamText, tool } from 'ai';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import type { AIMessageChunk } from '@langchain/core/messages';
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
    const args = {
      model: provider().chat('chat'),
      prompt: 'What is the weather in Oslo?',
      tools,
      toolChoice: 'required' as const,
      maxRetries: 0,
    };
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

describe('LangChain (@langchain/openai)', () => {
  const chat = (model = 'chat') => new ChatOpenAI({ model, apiKey: 'any-key', configuration: { baseURL: gw.baseURL }, maxRetries: 0 });
  const weatherTool = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };
  const collect = async (stream: AsyncIterable<AIMessageChunk>) => {
    let merged: AIMessageChunk | undefined;
    let count = 0;
    for await (const chunk of stream) {
      merged = merged ? merged.concat(chunk) : chunk;
      count += 1;
    }
    if (!merged) throw new Error('the stream yielded no chunk');
    return { merged, count };
  };

  it('ChatOpenAI.invoke gets the answer through /v1/chat/completions, with its finish reason and usage', async () => {
    const message = await chat('mini').invoke(prompt);
    const direct = await gw.client().chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: prompt }] });
    expect(message.content).toBe(direct.choices[0]!.message.content);
    expect(message.response_metadata['finish_reason']).toBe('stop');
    expect(message.usage_metadata!.input_tokens).toBeGreaterThan(0);
    expect(message.usage_metadata!.output_tokens).toBeGreaterThan(0);
    expect(message.usage_metadata!.total_tokens).toBe(message.usage_metadata!.input_tokens + message.usage_metadata!.output_tokens);
    const seen = gw.sim('cloud').recentRequests();
    expect(seen.map((r) => r.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    expect((seen[0]!.body as Record<string, unknown>)['messages']).toEqual([{ role: 'user', content: prompt }]);
  });

  it('ChatOpenAI.stream streams the same text to the end, with a finish reason and usage', async () => {
    const { merged, count } = await collect(await chat().stream(prompt));
    const unary = await chat().invoke(prompt);
    expect(count).toBeGreaterThan(2);
    expect(merged.content).toBe(unary.content);
    expect(typeof merged.content === 'string' && merged.content.length).toBeGreaterThan(0);
    expect(merged.response_metadata['finish_reason']).toBe('stop');
    expect(merged.usage_metadata!.output_tokens).toBeGreaterThan(0);
    expect(merged.usage_metadata!.total_tokens).toBe(merged.usage_metadata!.input_tokens + merged.usage_metadata!.output_tokens);
  });

  it('receives a tool call with parsed arguments, streamed and not', async () => {
    const llm = chat().bindTools([weatherTool], { tool_choice: 'required' });
    const question = 'What is the weather in Oslo?';
    const unary = await llm.invoke(question);
    expect(unary.tool_calls).toHaveLength(1);
    expect(unary.tool_calls![0]!.name).toBe('get_weather');
    expect(unary.tool_calls![0]!.args).toHaveProperty('city');
    expect(unary.tool_calls![0]!.id).toBeTruthy();
    expect(unary.response_metadata['finish_reason']).toBe('tool_calls');

    const { merged } = await collect(await llm.stream(question));
    expect(merged.tool_calls!.map((c) => [c.name, c.args])).toEqual(unary.tool_calls!.map((c) => [c.name, c.args]));
    expect(merged.response_metadata['finish_reason']).toBe('tool_calls');
  });

  it('OpenAIEmbeddings embeds a query and documents (base64 on the wire) to the vectors the openai SDK gets', async () => {
    const embeddings = new OpenAIEmbeddings({ model: 'embed', apiKey: 'any-key', configuration: { baseURL: gw.baseURL }, maxRetries: 0 });
    const query = await embeddings.embedQuery('rail yard');
    const direct = await gw.client().embeddings.create({ model: 'embed', input: ['rail yard', 'a', 'b', 'c'], encoding_format: 'float' });
    expect(query).toHaveLength(direct.data[0]!.embedding.length);
    query.forEach((v, i) => expect(v).toBeCloseTo(direct.data[0]!.embedding[i]!, 6));
    const docs = await embeddings.embedDocuments(['a', 'b', 'c']);
    expect(docs).toHaveLength(3);
    docs.forEach((vector, d) => {
      expect(vector).toHaveLength(query.length);
      vector.forEach((v, i) => expect(v).toBeCloseTo(direct.data[d + 1]!.embedding[i]!, 6));
    });
    const seen = gw
      .sim('embed')
      .recentRequests()
      .map((r) => (r.body as Record<string, unknown>)['encoding_format']);
    expect(seen).toEqual(['base64', 'float', 'base64']);
  });
});

describe('curl', () => {
  it('gets a streamed answer framed as OpenAI frames it', async () => {
    const { stdout } = await promisify(execFile)('curl', [
      '-sS',
      '-N',
      '--max-time',
      '10',
      `${gw.baseURL}/chat/completions`,
      '-H',
      'content-type: application/json',
      '-d',
      JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: prompt }] }),
    ]);
    const events = stdout.split('\n\n').filter((e) => e.length > 0);
    expect(events.length).toBeGreaterThan(2);
    for (const e of events) expect(e.startsWith('data: ')).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    for (const e of events.slice(0, -1)) expectSchema('CreateChatCompletionStreamResponse', JSON.parse(e.slice('data: '.length)));
  });
});
