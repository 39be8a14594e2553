/**
 * The Anthropic front door's stream encoder: OpenAI chunks into Anthropic's event sequence (text, tool
 * calls, several blocks with their indexes, the stop reason and usage at the end), checked by the
 * event validator; the same answer split into one chunk per character gives the same text; native
 * events are framed as they came; a failure is an `error` event.
 */
import { describe, expect, it } from 'vitest';
import { anthropicMessagesDoor } from '../../../adapters/anthropic/door/index.js';
import { parseAnthropicSse, validateAnthropicEvents } from '../../support/anthropic-events.js';
import { accept, baseBody } from './support.js';

const envelope = { id: 'chatcmpl-xyz', object: 'chat.completion.chunk', created: 1, model: 'llama-3' };
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ ...envelope, choices: [{ index: 0, delta, finish_reason: finish }] });
const usageChunk = JSON.stringify({ ...envelope, choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } });

function encode(chunks: string[], body: Record<string, unknown> = { ...baseBody, stream: true }) {
  const encoder = anthropicMessagesDoor.createStreamEncoder(accept(body));
  const sse = chunks.map((c) => encoder.chunk(c, undefined, false)).join('') + encoder.done(false);
  return validateAnthropicEvents(parseAnthropicSse(sse));
}

describe('anthropic door: stream encoder', () => {
  it('encodes a text answer', () => {
    const events = encode([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({}, 'stop'),
      usageChunk,
    ]);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]!.data['message']).toMatchObject({ id: 'msg_xyz', model: 'llama-3', usage: { input_tokens: 0, output_tokens: 0 } });
    expect(events[5]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 },
    });
  });

  it('encodes text then two tool calls as three blocks with their own indexes', () => {
    const events = encode([
      chunk({ role: 'assistant', content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      usageChunk,
    ]);
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => [e.data['index'], e.data['content_block']]);
    expect(starts).toEqual([
      [0, { type: 'text', text: '' }],
      [1, { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} }],
      [2, { type: 'tool_use', id: 'call_b', name: 'get_time', input: {} }],
    ]);
    const json = events
      .filter((e) => e.event === 'content_block_delta' && e.data['index'] === 1)
      .map((e) => (e.data['delta'] as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ city: 'Paris' });
    expect(events.at(-2)!.data['delta']).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
  });

  it('gives the same answer when the text comes one character per chunk', () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const events = encode([
      chunk({ role: 'assistant', content: '' }),
      ...[...text].map((c) => chunk({ content: c })),
      chunk({}, 'length'),
      usageChunk,
    ]);
    const streamed = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data['delta'] as { text: string }).text)
      .join('');
    expect(streamed).toBe(text);
    expect(events.filter((e) => e.event === 'content_block_start')).toHaveLength(1);
    expect(events.at(-2)!.data['delta']).toMatchObject({ stop_reason: 'max_tokens' });
  });

  it('reports a stop sequence vLLM names', () => {
    const events = encode(
      [
        chunk({ content: 'a' }),
        JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, finish_reason: 'stop', stop_reason: 'END' }] }),
      ],
      {
        ...baseBody,
        stream: true,
        stop_sequences: ['END'],
      },
    );
    expect(events.at(-2)!.data['delta']).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
  });

  it('still makes a whole message of an answer without content', () => {
    const events = encode([]);
    expect(events.map((e) => e.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });

  it('frames native events as they came and closes nothing itself', () => {
    const encoder = anthropicMessagesDoor.createStreamEncoder(accept({ ...baseBody, stream: true }));
    expect(encoder.chunk('{"type":"ping"}', 'ping', true)).toBe('event: ping\ndata: {"type":"ping"}\n\n');
    expect(encoder.done(true)).toBe('');
  });

  it('ends a broken stream with an error event', () => {
    const encoder = anthropicMessagesDoor.createStreamEncoder(accept({ ...baseBody, stream: true }));
    const sse =
      encoder.chunk(chunk({ content: 'Hi' }), undefined, false) +
      encoder.fail({ status: 502, type: 'api_error', code: 'upstream_error', message: 'upstream broke', param: null });
    const events = validateAnthropicEvents(parseAnthropicSse(sse));
    expect(events.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'upstream broke' } } });
  });
});
