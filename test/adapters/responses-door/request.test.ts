import { describe, expect, it } from 'vitest';
import { DoorRequestError } from '../../../adapters/front-door.js';
import { openAIResponsesDoor } from '../../../adapters/openai-compatible/responses/index.js';

const accept = (body: Record<string, unknown>) => openAIResponsesDoor.accept(body, Buffer.from(JSON.stringify(body)), {});

function refusal(body: Record<string, unknown>): DoorRequestError {
  try {
    accept(body);
  } catch (err) {
    if (err instanceof DoorRequestError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('Responses door: request translation', () => {
  it('turns a string input and instructions into system and user messages', () => {
    const body = { model: 'fast', input: 'Hello', instructions: 'Be brief.', max_output_tokens: 50, temperature: 0.2, top_p: 0.9 };
    const accepted = accept(body);
    expect(accepted.model).toBe('fast');
    expect(accepted.stream).toBe(false);
    const req = accepted.request;
    expect(req.operation).toBe('chat');
    expect(req.includeUsage).toBe(true);
    expect(req.body).toEqual({
      model: 'fast',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_completion_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
    });
    expect(JSON.parse(req.raw.toString('utf8'))).toEqual(req.body);
    expect(req.native).toMatchObject({ wire: 'openai-responses', body, headers: {}, required: false });
    expect(req.native?.raw.toString('utf8')).toBe(JSON.stringify(body));
  });

  it('translates message items, function calls and their outputs, and drops reasoning items', () => {
    const body = {
      model: 'fast',
      input: [
        { role: 'developer', content: 'Use tools.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather in ' },
            { type: 'input_text', text: 'Paris?' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '21C' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'noon' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'It is 21C.', annotations: [] }] },
        { role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' }] },
      ],
    };
    const chat = accept(body).request.body;
    expect(chat['messages']).toEqual([
      { role: 'system', content: 'Use tools.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in ' },
          { type: 'text', text: 'Paris?' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '21C' },
      { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
      { role: 'assistant', content: 'It is 21C.' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }] },
    ]);
    expect(accept(body).request.native?.required).toBe(false);
  });

  it('reshapes function tools, tool choice, text format, reasoning and user', () => {
    const chat = accept({
      model: 'fast',
      input: 'hi',
      tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low', summary: 'auto' },
      safety_identifier: 'user-7',
      metadata: { a: 'b' },
    }).request.body;
    expect(chat).toEqual({
      model: 'fast',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'low',
      user: 'user-7',
    });
  });

  it('asks for usage on streams', () => {
    const accepted = accept({ model: 'fast', input: 'hi', stream: true });
    expect(accepted.stream).toBe(true);
    expect(accepted.request.stream).toBe(true);
    expect(accepted.request.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it.each([
    ['previous_response_id', { previous_response_id: 'resp_1' }],
    ['store: true', { store: true }],
    ['conversation', { conversation: 'conv_1' }],
    ['background', { background: true }],
    ['a built-in tool', { tools: [{ type: 'web_search' }] }],
    ['file_search', { tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }],
    ['an item reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }],
    ['an image by file id', { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }],
  ])('marks %s as native-only', (_name, extra) => {
    const accepted = accept({ model: 'fast', input: 'hi', ...extra });
    expect(accepted.request.native?.required).toBe(true);
  });

  it('treats store: false and an omitted store as stateless', () => {
    expect(accept({ model: 'fast', input: 'hi', store: false }).request.native?.required).toBe(false);
    expect(accept({ model: 'fast', input: 'hi' }).request.native?.required).toBe(false);
  });

  it.each([
    [{ input: 'hi' }, 'model'],
    [{ model: 'fast' }, 'input'],
    [{ model: 'fast', input: 42 }, 'input'],
    [{ model: 'fast', input: [{ role: 'user', content: 'a' }, 'oops'] }, 'input[1]'],
    [{ model: 'fast', input: [{ role: 'robot', content: 'a' }] }, 'input[0].role'],
    [
      { model: 'fast', input: [{ role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'video' }] }] },
      'input[0].content[1].type',
    ],
    [{ model: 'fast', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id'],
    [{ model: 'fast', input: [{ type: 'function_call_output', call_id: 'c', output: 3 }] }, 'input[0].output'],
    [{ model: 'fast', input: 'hi', temperature: 3 }, 'temperature'],
    [{ model: 'fast', input: 'hi', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ model: 'fast', input: 'hi', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [{ model: 'fast', input: 'hi', tool_choice: 'sometimes' }, 'tool_choice'],
    [{ model: 'fast', input: 'hi', text: { format: { type: 'yaml' } } }, 'text.format.type'],
    [{ model: 'fast', input: 'hi', stream: 'yes' }, 'stream'],
  ])('refuses %j naming %s', (body, param) => {
    const error = refusal(body);
    expect(error.param).toBe(param);
    expect(error.message.length).toBeGreaterThan(10);
  });
});
