/**
 * The Anthropic front door's request side: a Messages body checked (with a `param` a person can act
 * on) and translated into the core's OpenAI chat request; tool results placed before the rest of their
 * user turn; harmless extras dropped; untranslatable features pinning the request to Anthropic.
 */
import { describe, expect, it } from 'vitest';
import { DoorRequestError } from '../../../adapters/front-door.js';
import { accept, acceptCount, baseBody, openai } from './support.js';

function refusal(body: Record<string, unknown>): DoorRequestError {
  try {
    accept(body);
  } catch (err) {
    if (err instanceof DoorRequestError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('anthropic door: accept', () => {
  it('translates the basics and keeps the client body as native', () => {
    const body = {
      ...baseBody,
      system: 'Be terse.',
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'u-1' },
    };
    const req = accept(body, { 'anthropic-beta': 'token-efficient-tools-2025-02-19' });
    expect(req.model).toBe('claude-route');
    expect(req.stream).toBe(false);
    expect(req.request.body).toEqual({
      model: 'claude-route',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['END'],
      user: 'u-1',
    });
    expect(JSON.parse(req.request.raw.toString())).toEqual(req.request.body);
    expect(req.request).toMatchObject({ operation: 'chat', stream: false, includeUsage: true });
    expect(req.request.native).toMatchObject({
      wire: 'anthropic-messages',
      body,
      headers: { 'anthropic-beta': 'token-efficient-tools-2025-02-19' },
      required: false,
    });
  });

  it('asks the core for usage on every stream', () => {
    const req = accept({ ...baseBody, stream: true });
    expect(req.stream).toBe(true);
    expect(req.request.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(req.request.stream).toBe(true);
  });

  it('joins system text blocks and drops cache_control', () => {
    const body = openai({
      ...baseBody,
      system: [
        { type: 'text', text: 'One.' },
        { type: 'text', text: 'Two.', cache_control: { type: 'ephemeral' } },
      ],
    });
    expect(body['messages'][0]).toEqual({ role: 'system', content: 'One.\n\nTwo.' });
  });

  it('turns images into image_url parts (base64 as a data URL, url as it is)', () => {
    const body = openai({
      ...baseBody,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect(body['messages']).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('turns tool_use into tool_calls and puts tool_result messages before the rest of the user turn, in order', () => {
    const body = openai({
      ...baseBody,
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'two calls', signature: 'sig' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Here you go.' },
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'no data' }], is_error: true },
          ],
        },
      ],
    });
    expect(body['messages'].slice(1)).toEqual([
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: no data' },
      { role: 'user', content: 'Here you go.' },
    ]);
  });

  it('translates tools and every tool_choice', () => {
    const tools = [
      {
        name: 'get_weather',
        description: 'Weather',
        input_schema: { type: 'object', properties: {} },
        cache_control: { type: 'ephemeral' },
      },
    ];
    expect(openai({ ...baseBody, tools })['tools']).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} } } },
    ]);
    expect(openai({ ...baseBody, tools, tool_choice: { type: 'auto' } })['tool_choice']).toBe('auto');
    expect(openai({ ...baseBody, tools: [{ ...tools[0], strict: true }] })['tools'][0]['function']['strict']).toBe(true);
    expect(openai({ ...baseBody, tools, tool_choice: { type: 'any', disable_parallel_tool_use: true } })).toMatchObject({
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(openai({ ...baseBody, tools, tool_choice: { type: 'tool', name: 'get_weather' } })['tool_choice']).toEqual({
      type: 'function',
      function: { name: 'get_weather' },
    });
    expect(openai({ ...baseBody, tools, tool_choice: { type: 'none' } })['tool_choice']).toBe('none');
  });

  it('pins untranslatable requests to Anthropic deployments', () => {
    const native = (body: Record<string, unknown>) => accept({ ...baseBody, ...body }).request.native?.required;
    expect(native({})).toBe(false);
    expect(native({ thinking: { type: 'enabled', budget_tokens: 2048 } })).toBe(true);
    expect(native({ thinking: { type: 'disabled' } })).toBe(false);
    expect(native({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] })).toBe(true);
    expect(native({ container: 'container_1' })).toBe(true);
    expect(native({ mcp_servers: [{ type: 'url', url: 'https://mcp.example.com', name: 'x' }] })).toBe(true);
    const document = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'A doc.' } };
    expect(native({ messages: [{ role: 'user', content: [document, { type: 'text', text: 'Summarise' }] }] })).toBe(true);
  });

  it('makes count_tokens requests native-only, never streamed, without max_tokens', () => {
    const req = acceptCount({ model: 'claude-route', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    expect(req.stream).toBe(false);
    expect(req.request.operation).toBe('count_tokens');
    expect(req.request.native?.required).toBe(true);
    expect(req.request.body['max_tokens']).toBeUndefined();
  });

  it.each([
    [{ max_tokens: 100, messages: [] }, 'model'],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens'],
    [{ ...baseBody, max_tokens: 0 }, 'max_tokens'],
    [{ ...baseBody, messages: 'hi' }, 'messages'],
    [{ ...baseBody, messages: [] }, 'messages'],
    [{ ...baseBody, messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    [
      {
        ...baseBody,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'user', content: [{ type: 'video' }] },
        ],
      },
      'messages[2].content[0].type',
    ],
    [
      { ...baseBody, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'n', input: {} }] }] },
      'messages[0].content[0].type',
    ],
    [
      { ...baseBody, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: 'x' }] }] },
      'messages[0].content[0].input',
    ],
    [{ ...baseBody, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages[0].content[0].text'],
    [
      {
        ...baseBody,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'x' } }] }],
      },
      'messages[0].content[0].source.media_type',
    ],
    [{ ...baseBody, temperature: 1.5 }, 'temperature'],
    [{ ...baseBody, tools: [{ name: 'x' }] }, 'tools[0].input_schema'],
    [{ ...baseBody, tools: [{ name: 'x', input_schema: {} }], tool_choice: { type: 'tool' } }, 'tool_choice.name'],
    [{ ...baseBody, tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
    [{ ...baseBody, stop_sequences: 'END' }, 'stop_sequences'],
    [{ ...baseBody, metadata: { user_id: 7 } }, 'metadata.user_id'],
    [{ ...baseBody, system: [{ type: 'image' }] }, 'system[0].type'],
    [{ ...baseBody, thinking: { type: 'enabled' } }, 'thinking.budget_tokens'],
  ])('refuses %j naming %s', (body, param) => {
    const err = refusal(body);
    expect(err.param).toBe(param);
    expect(err.message).toContain(param.replace(/\[\d+\].*$/, '').split('.')[0]);
  });
});
