/**
 * The test helper that checks Anthropic event streams (test/support/anthropic-events.ts) accepts a
 * well-formed stream and catches each kind of mistake an encoder could make, so that the stream tests
 * which rely on it mean something.
 */
import { describe, expect, it } from 'vitest';
import { validateAnthropicEvents, type AnthropicEvent } from '../../support/anthropic-events.js';

const ev = (data: { type: string } & Record<string, unknown>): AnthropicEvent => ({ event: data.type, data });
const start = ev({
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], usage: { input_tokens: 0, output_tokens: 0 } },
});
const blockStart = (index: number) => ev({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
const delta = (index: number) => ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: 'x' } });
const stop = (index: number) => ev({ type: 'content_block_stop', index });
const messageDelta = ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } });
const messageStop = ev({ type: 'message_stop' });

describe('the Anthropic event validator', () => {
  it('accepts a well-formed stream with pings', () => {
    const events = [start, ev({ type: 'ping' }), blockStart(0), delta(0), stop(0), blockStart(1), stop(1), messageDelta, messageStop];
    expect(validateAnthropicEvents(events)).toHaveLength(8);
  });

  it.each([
    ['no message_start', [blockStart(0), stop(0), messageDelta, messageStop]],
    ['a block never stopped', [start, blockStart(0), delta(0), messageDelta, messageStop]],
    ['a wrong block index', [start, blockStart(1), stop(1), messageDelta, messageStop]],
    ['a delta for another block', [start, blockStart(0), delta(1), stop(0), messageDelta, messageStop]],
    ['no message_stop', [start, messageDelta]],
    ['an event name that differs from its type', [start, { event: 'message_delta', data: messageStop.data }, messageStop]],
    ['a message_delta without a stop reason', [start, ev({ type: 'message_delta', delta: {}, usage: { output_tokens: 1 } }), messageStop]],
    ['events after message_stop', [start, messageDelta, messageStop, messageStop]],
  ])('rejects %s', (_name, events) => {
    expect(() => validateAnthropicEvents(events)).toThrow(/invalid Anthropic stream/);
  });
});
