/**
 * The Anthropic front door's answers: an OpenAI chat completion as an Anthropic Message (text and
 * tool_use blocks, stop reasons, usage with the cached prompt apart), a native body unchanged, and
 * errors in Anthropic's shape with the type its clients expect for each status.
 */
import { describe, expect, it } from 'vitest';
import { anthropicMessagesDoor } from '../../../adapters/anthropic/door/index.js';
import type { DoorError } from '../../../adapters/front-door.js';
import { accept, baseBody } from './support.js';

function completion(message: Record<string, unknown>, finish: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    id: 'chatcmpl-abc123',
    object: 'chat.completion',
    created: 1,
    model: 'llama-3',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish, ...extra }],
    usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57, prompt_tokens_details: { cached_tokens: 20 } },
  });
}

const answer = (body: string, request = accept(baseBody)) =>
  JSON.parse(anthropicMessagesDoor.answer(body, false, request)) as Record<string, any>;

describe('anthropic door: answer', () => {
  it('translates a text answer', () => {
    expect(answer(completion({ content: 'Hello!' }, 'stop'))).toEqual({
      id: 'msg_abc123',
      type: 'message',
      role: 'assistant',
      model: 'llama-3',
      content: [{ type: 'text', text: 'Hello!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 20, output_tokens: 7 },
    });
  });

  it('translates tool calls into tool_use blocks with parsed input', () => {
    const message = {
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'noop', arguments: '' } },
      ],
    };
    const out = answer(completion(message, 'tool_calls'));
    expect(out['content']).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_2', name: 'noop', input: {} },
    ]);
    expect(out['stop_reason']).toBe('tool_use');
  });

  it('maps length to max_tokens and content_filter to refusal', () => {
    expect(answer(completion({ content: 'Cut' }, 'length'))['stop_reason']).toBe('max_tokens');
    const refused = answer(completion({ content: null, refusal: 'I cannot help with that.' }, 'content_filter'));
    expect(refused).toMatchObject({ stop_reason: 'refusal', content: [{ type: 'text', text: 'I cannot help with that.' }] });
  });

  it("says stop_sequence when the upstream names one of the client's stop sequences", () => {
    const request = accept({ ...baseBody, stop_sequences: ['END'] });
    expect(answer(completion({ content: 'one two' }, 'stop', { stop_reason: 'END' }), request)).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    expect(answer(completion({ content: 'one two' }, 'stop', { stop_reason: null }), request)).toMatchObject({
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
  });

  it('returns a native body unchanged', () => {
    const body = '{"id":"msg_x","type":"message" ,"content":[]}';
    expect(anthropicMessagesDoor.answer(body, true, accept(baseBody))).toBe(body);
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [504, 'api_error'],
    [529, 'overloaded_error'],
  ])('words a %i as %s', (status, type) => {
    const error: DoorError = { status, type: 'whatever', code: 'x', message: 'Something went wrong', param: null };
    expect(JSON.parse(anthropicMessagesDoor.errorBody(error))).toEqual({ type: 'error', error: { type, message: 'Something went wrong' } });
  });
});
