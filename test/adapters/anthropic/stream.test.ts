/**
 * The Anthropic stream translator's edge cases: cumulative usage replaced (not summed), pings and
 * unknown events ignored, tools without streamed arguments, a tool block that arrives whole, the
 * role held back until there is content, an `error` event identified by its JSON type alone, and
 * the progress a continuation starts from.
 */
import { describe, expect, it } from 'vitest';
import { AnthropicStreamTranslator } from '../../../adapters/anthropic/stream.js';
import type { StreamOutput } from '../../../adapters/types.js';
import { chatRequest, target } from './support.js';

const event = (payload: { type: string } & Record<string, unknown>) => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
const start = (usage: Record<string, number> = { input_tokens: 10, output_tokens: 1 }) =>
  event({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], usage } });
const text = (index: number, value: string) => event({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: value } });
const blockStart = (index: number, block: Record<string, unknown>) => event({ type: 'content_block_start', index, content_block: block });
const delta = (stop: string, usage: Record<string, number>) =>
  event({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage });
const stop = event({ type: 'message_stop' });

function run(body: Record<string, unknown>, ...events: string[]) {
  const translator = new AnthropicStreamTranslator(
    chatRequest({ messages: [{ role: 'user', content: 'x' }], stream: true, ...body }),
    target(),
  );
  const outputs: StreamOutput[] = [];
  for (const e of events) outputs.push(...translator.push(Buffer.from(e)));
  outputs.push(...translator.end());
  const chunks = outputs.flatMap((o) =>
    o.type === 'chunk' ? [JSON.parse(o.data) as { choices: Array<Record<string, any>>; usage?: Record<string, any> }] : [],
  );
  return { translator, outputs, chunks };
}

describe('AnthropicStreamTranslator', () => {
  it('replaces usage with each message_delta (cumulative), never adds, and counts cache reads as cached', () => {
    const { translator, chunks } = run(
      { stream_options: { include_usage: true } },
      start({ input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 1 }),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'Hi'),
      delta('end_turn', { output_tokens: 3 }),
      delta('end_turn', { output_tokens: 7 }),
      stop,
    );
    expect(translator.usage).toEqual({ promptTokens: 125, completionTokens: 7, totalTokens: 132, cachedTokens: 100 });
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 125,
      completion_tokens: 7,
      total_tokens: 132,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 20 },
    });
  });

  it('ignores ping and unknown events, and sends no usage chunk to a client that did not ask', () => {
    const { outputs, chunks } = run(
      {},
      start(),
      event({ type: 'ping' }),
      blockStart(0, { type: 'text', text: '' }),
      event({ type: 'brand_new_event', index: 0 }),
      text(0, 'Hi'),
      delta('stop_sequence', { output_tokens: 2 }),
      stop,
    );
    expect(chunks.map((c) => c.choices[0]?.['delta'])).toEqual([{ role: 'assistant', content: 'Hi' }, {}]);
    expect(chunks.at(-1)?.choices[0]?.['finish_reason']).toBe('stop');
    expect(outputs.at(-1)).toEqual({ type: 'done' });
  });

  it('holds the role back until there is content: nothing is started by message_start alone', () => {
    const translator = new AnthropicStreamTranslator(chatRequest({ messages: [], stream: true }), target());
    expect(translator.push(Buffer.from(start() + event({ type: 'ping' }) + blockStart(0, { type: 'text', text: '' })))).toEqual([]);
    expect(translator.started).toBe(false);
    expect(translator.model).toBe('claude-x');
    const [failure] = translator.end();
    expect(failure).toMatchObject({ type: 'error', error: { kind: 'connection' } });
  });

  it('gives a tool without streamed arguments `{}`, and a tool block that arrives whole its input', () => {
    const { chunks } = run(
      {},
      start(),
      blockStart(0, { type: 'tool_use', id: 'toolu_a', name: 'now', input: {} }),
      event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }),
      event({ type: 'content_block_stop', index: 0 }),
      blockStart(1, { type: 'tool_use', id: 'toolu_b', name: 'f', input: { a: 1 } }),
      event({ type: 'content_block_stop', index: 1 }),
      delta('tool_use', { output_tokens: 9 }),
      stop,
    );
    const calls = chunks.flatMap((c) => (c.choices[0]?.['delta']?.tool_calls ?? []) as Array<Record<string, any>>);
    expect(calls).toEqual([
      { index: 0, id: 'toolu_a', type: 'function', function: { name: 'now', arguments: '' } },
      { index: 0, function: { arguments: '{}' } },
      { index: 1, id: 'toolu_b', type: 'function', function: { name: 'f', arguments: '' } },
      { index: 1, function: { arguments: '{"a":1}' } },
    ]);
    expect(chunks.at(-1)?.choices[0]?.['finish_reason']).toBe('tool_calls');
  });

  it('fails on an error payload even without the event name, and on a stream that ends without a stop reason', () => {
    const payload = `data: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`;
    expect(run({}, start(), payload).outputs.at(-1)).toMatchObject({ type: 'error', error: { kind: 'overloaded', message: 'Overloaded' } });
    expect(run({}).outputs).toEqual([{ type: 'error', error: expect.objectContaining({ kind: 'connection' }) as unknown }]);
  });

  it('maps refusal to content_filter and max_tokens to length', () => {
    const finish = (reason: string) =>
      run({}, start(), blockStart(0, { type: 'text', text: '' }), text(0, 'x'), delta(reason, { output_tokens: 1 }), stop).chunks.at(-1)
        ?.choices[0]?.['finish_reason'];
    expect(finish('refusal')).toBe('content_filter');
    expect(finish('max_tokens')).toBe('length');
    expect(finish('model_context_window_exceeded')).toBe('length');
    expect(finish('pause_turn')).toBe('stop');
  });

  it('reports the text so far for a continuation, until the answer finishes or calls a tool', () => {
    const translator = new AnthropicStreamTranslator(chatRequest({ messages: [], stream: true }), target());
    translator.push(Buffer.from(start() + blockStart(0, { type: 'text', text: '' }) + text(0, 'Lorem') + text(0, ' ipsum')));
    expect(translator.progress).toEqual({ text: 'Lorem ipsum', contentChunks: 2, continuable: true });
    translator.push(Buffer.from(blockStart(1, { type: 'tool_use', id: 't', name: 'f', input: {} })));
    expect(translator.progress.continuable).toBe(false);
  });
});
