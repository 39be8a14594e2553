/** OpenAI chat and embeddings requests into Converse and InvokeModel: the edge cases the fixtures do not show. */
import { describe, expect, it } from 'vitest';
import { buildContinuation, buildRequest, converseBody } from '../../../adapters/bedrock/request.js';
import { UpstreamError } from '../../../adapters/upstream-error.js';
import { bedrockTarget, clientRequest } from './support.js';

const weather = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};
const user = (content: unknown) => ({ role: 'user', content });

function bodyOf(body: Record<string, unknown>, model?: string): Record<string, unknown> {
  return JSON.parse(String(buildRequest(clientRequest(body), bedrockTarget(model)).body)) as Record<string, unknown>;
}

function refusal(run: () => unknown): UpstreamError {
  try {
    run();
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('Converse request', () => {
  it('puts the model id in the path as one encoded segment, ARNs and inference profiles included', () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    expect(buildRequest(clientRequest({ messages: [user('Hi')] }), bedrockTarget(arn)).path).toBe(
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123/converse',
    );
    const streamed = buildRequest(
      clientRequest({ messages: [user('Hi')], stream: true }),
      bedrockTarget('global.anthropic.claude-sonnet-4-20250514-v1:0'),
    );
    expect(streamed.path).toBe('/model/global.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream');
    expect(streamed.headers['accept']).toBe('application/vnd.amazon.eventstream');
  });

  it('merges consecutive messages of one role (Converse wants alternation) and lifts system and developer out', () => {
    const body = bodyOf({
      messages: [
        { role: 'system', content: 'A' },
        user('one'),
        user([{ type: 'text', text: 'two' }]),
        { role: 'developer', content: [{ type: 'text', text: 'B' }] },
      ],
    });
    expect(body['system']).toEqual([{ text: 'A' }, { text: 'B' }]);
    expect(body['messages']).toEqual([{ role: 'user', content: [{ text: 'one' }, { text: 'two' }] }]);
  });

  it('turns cache_control on a text part into a cachePoint after it, in system and user content', () => {
    const body = bodyOf({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long rules.', cache_control: { type: 'ephemeral' } }] },
        user([
          { type: 'text', text: 'Doc.', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'Question?' },
        ]),
      ],
    });
    expect(body['system']).toEqual([{ text: 'Long rules.' }, { cachePoint: { type: 'default' } }]);
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ text: 'Doc.' }, { cachePoint: { type: 'default' } }, { text: 'Question?' }] },
    ]);
  });

  it('maps images given as data URLs and refuses web URLs (Converse takes bytes only)', () => {
    const body = bodyOf({ messages: [user([{ type: 'image_url', image_url: { url: 'data:image/jpg;base64,AAAA' } }])] });
    expect(body['messages']).toEqual([{ role: 'user', content: [{ image: { format: 'jpeg', source: { bytes: 'AAAA' } } }] }]);
    const error = refusal(() => converseBody({ messages: [user([{ type: 'image_url', image_url: { url: 'https://x/y.png' } }])] }));
    expect(error.kind).toBe('bad_request');
    expect(error.message).toMatch(/data URLs only/);
  });

  it.each([
    ['auto', { auto: {} }],
    ['required', { any: {} }],
    [{ type: 'function', function: { name: 'get_weather' } }, { tool: { name: 'get_weather' } }],
  ])('tool_choice %j -> toolChoice %j, tools as toolSpec with inputSchema.json', (choice, expected) => {
    const body = bodyOf({ messages: [user('weather?')], tools: [weather], tool_choice: choice });
    expect(body['toolConfig']).toEqual({
      tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: weather.function.parameters } } }],
      toolChoice: expected,
    });
  });

  it('tool_choice none without tool blocks in the history leaves the tools out', () => {
    expect(bodyOf({ messages: [user('weather?')], tools: [weather], tool_choice: 'none' })['toolConfig']).toBeUndefined();
  });

  it('keeps a toolConfig for a history with tool blocks even when the client sent no tools', () => {
    const body = bodyOf({
      messages: [
        user('weather?'),
        { role: 'assistant', content: '', tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
        { role: 'tool', tool_call_id: 't1', content: '' },
      ],
    });
    expect(body['toolConfig']).toEqual({ tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }] });
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ text: 'weather?' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'get_weather', input: {} } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: ' ' }] } }] },
    ]);
  });

  it('refuses what Converse cannot say: n > 1, tool arguments that are not JSON, unknown roles', () => {
    expect(refusal(() => converseBody({ messages: [user('a')], n: 2 })).param).toBe('n');
    const badArgs = { role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{nope' } }] };
    expect(refusal(() => converseBody({ messages: [user('a'), badArgs] })).message).toMatch(/not JSON/);
    expect(refusal(() => converseBody({ messages: [{ role: 'function', content: 'x' }] })).status).toBe(400);
  });

  it('prefers max_completion_tokens to max_tokens and a stop string becomes a list', () => {
    const body = bodyOf({ messages: [user('a')], max_tokens: 10, max_completion_tokens: 20, stop: 'END' });
    expect(body['inferenceConfig']).toEqual({ maxTokens: 20, stopSequences: ['END'] });
  });
});

describe('continuation (prefill)', () => {
  const req = clientRequest({ messages: [user('Say hello.')], max_tokens: 50, stream: true });

  it('appends the partial answer as a final assistant turn, trailing whitespace trimmed, and shrinks the cap', () => {
    const out = buildContinuation(req, { text: 'Lorem ipsum ', contentChunks: 2, continuable: true }, bedrockTarget())!;
    expect(out.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream');
    const body = JSON.parse(String(out.body)) as Record<string, unknown>;
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ text: 'Say hello.' }] },
      { role: 'assistant', content: [{ text: 'Lorem ipsum' }] },
    ]);
    expect(body['inferenceConfig']).toEqual({ maxTokens: 48 });
  });

  it('is undefined for an answer that cannot be continued', () => {
    expect(buildContinuation(req, { text: 'x', contentChunks: 1, continuable: false }, bedrockTarget())).toBeUndefined();
  });
});

describe('embeddings request', () => {
  const embed = (input: unknown, model: string) => buildRequest(clientRequest({ model: 'e', input }, 'embeddings'), bedrockTarget(model));

  it('Titan: one inputText per call on InvokeModel; several inputs are refused', () => {
    const out = embed('hello', 'amazon.titan-embed-text-v2:0');
    expect(out.path).toBe('/model/amazon.titan-embed-text-v2%3A0/invoke');
    expect(JSON.parse(String(out.body))).toEqual({ inputText: 'hello' });
    expect(refusal(() => embed(['a', 'b'], 'amazon.titan-embed-text-v2:0')).message).toMatch(/one text per call/);
  });

  it('Cohere: texts with input_type search_document; token ids and unknown models are refused', () => {
    expect(JSON.parse(String(embed(['a', 'b'], 'cohere.embed-english-v3').body))).toEqual({
      texts: ['a', 'b'],
      input_type: 'search_document',
    });
    expect(refusal(() => embed([1, 2], 'cohere.embed-english-v3')).message).toMatch(/not token ids/);
    expect(refusal(() => embed('a', 'meta.llama3-8b-instruct-v1:0')).param).toBe('model');
  });
});
