import { describe, expect, it } from 'vitest';
import { openAIResponsesDoor } from '../../../adapters/openai-compatible/responses/index.js';
import { expectSchema } from '../../support/openapi.js';

const accept = (body: Record<string, unknown>) => openAIResponsesDoor.accept(body, Buffer.from(JSON.stringify(body)), {});

function completion(message: Record<string, unknown>, finish: string) {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'llama-3',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finish }],
    usage: {
      prompt_tokens: 12,
      completion_tokens: 5,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 2 },
    },
  });
}

describe('Responses door: answers', () => {
  it('turns a text answer into a valid Response', () => {
    const req = accept({ model: 'fast', input: 'hi', instructions: 'Be brief.', temperature: 0.5, metadata: { k: 'v' } });
    const response = JSON.parse(openAIResponsesDoor.answer(completion({ content: 'Hello there.' }, 'stop'), false, req)) as Record<
      string,
      unknown
    >;
    expectSchema('Response', response);
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      created_at: 1_700_000_000,
      model: 'llama-3',
      instructions: 'Be brief.',
      temperature: 0.5,
      store: false,
      error: null,
      incomplete_details: null,
      metadata: { k: 'v' },
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Hello there.', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 17,
      },
    });
    expect(response['id']).toMatch(/^resp_[0-9a-f]{48}$/);
    expect((response['output'] as Array<{ id: string }>)[0]!.id).toMatch(/^msg_/);
  });

  it('turns tool calls into function_call items and echoes the tools', () => {
    const req = accept({
      model: 'fast',
      input: 'weather?',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }],
      tool_choice: 'required',
    });
    const body = completion(
      {
        content: null,
        tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      'tool_calls',
    );
    const response = JSON.parse(openAIResponsesDoor.answer(body, false, req)) as Record<string, unknown>;
    expectSchema('Response', response);
    expect(response['output']).toEqual([
      {
        type: 'function_call',
        id: expect.stringMatching(/^fc_/),
        call_id: 'call_9',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      },
    ]);
    expect(response['tools']).toEqual([
      { type: 'function', name: 'get_weather', description: null, parameters: { type: 'object', properties: {} }, strict: null },
    ]);
    expect(response['tool_choice']).toBe('required');
  });

  it.each([
    ['length', 'max_output_tokens'],
    ['content_filter', 'content_filter'],
  ])('finish_reason %s is an incomplete Response (%s)', (finish, reason) => {
    const req = accept({ model: 'fast', input: 'hi', max_output_tokens: 5 });
    const response = JSON.parse(openAIResponsesDoor.answer(completion({ content: 'Partial' }, finish), false, req)) as Record<
      string,
      unknown
    >;
    expectSchema('Response', response);
    expect(response['status']).toBe('incomplete');
    expect(response['incomplete_details']).toEqual({ reason });
    expect(response['max_output_tokens']).toBe(5);
    expect((response['output'] as Array<{ status: string }>)[0]!.status).toBe('incomplete');
  });

  it('echoes every setting it translated in a schema-valid way', () => {
    const req = accept({
      model: 'fast',
      input: [{ role: 'user', content: 'hi' }],
      instructions: 'Answer in JSON.',
      tools: [{ type: 'function', name: 'f', description: 'd', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      reasoning: { effort: 'high', summary: 'auto' },
      top_p: 0.5,
      max_output_tokens: 99,
      user: 'u-1',
      safety_identifier: 's-1',
    });
    const response = JSON.parse(openAIResponsesDoor.answer(completion({ content: '{}' }, 'stop'), false, req)) as Record<string, unknown>;
    expectSchema('Response', response);
    expect(response).toMatchObject({
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'out' }, verbosity: 'low' },
      reasoning: { effort: 'high', summary: 'auto' },
      top_p: 0.5,
      max_output_tokens: 99,
      user: 'u-1',
      safety_identifier: 's-1',
      tools: [{ type: 'function', name: 'f', description: 'd', parameters: { type: 'object' }, strict: true }],
    });
  });

  it('keeps a refusal as a refusal part', () => {
    const req = accept({ model: 'fast', input: 'hi' });
    const response = JSON.parse(
      openAIResponsesDoor.answer(completion({ content: null, refusal: 'I cannot.' }, 'stop'), false, req),
    ) as Record<string, unknown>;
    expectSchema('Response', response);
    expect(response['output']).toMatchObject([{ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot.' }] }]);
  });

  it('returns a native answer unchanged', () => {
    const req = accept({ model: 'fast', input: 'hi' });
    const upstream = '{"id":"resp_x","object":"response","odd":  true}';
    expect(openAIResponsesDoor.answer(upstream, true, req)).toBe(upstream);
  });

  it("writes errors in OpenAI's envelope", () => {
    const body = openAIResponsesDoor.errorBody({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: 'Slow down.',
      param: null,
    });
    expect(JSON.parse(body)).toEqual({
      error: { message: 'Slow down.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    expect(openAIResponsesDoor.nativeRequired).toMatch(/store: false/);
  });
});
