import { describe, expect, it } from 'vitest';
import { openAIResponsesDoor } from '../../../adapters/openai-compatible/responses/index.js';
import { SseParser } from '../../../adapters/shared/sse-parser.js';
import { expectSchema } from '../../support/openapi.js';

const accept = (body: Record<string, unknown>) => openAIResponsesDoor.accept(body, Buffer.from(JSON.stringify(body)), {});

const envelope = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'llama-3' };
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ ...envelope, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const usageChunk = JSON.stringify({ ...envelope, choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } });

interface Event {
  type: string;
  sequence_number: number;
  [key: string]: unknown;
}

/** Runs chunks through a fresh encoder; returns the SSE text and the parsed events, each schema-checked. */
function encode(body: Record<string, unknown>, chunks: string[]): { text: string; events: Event[] } {
  const encoder = openAIResponsesDoor.createStreamEncoder(accept({ stream: true, ...body }));
  let text = '';
  for (const data of chunks) text += encoder.chunk(data, undefined, false);
  text += encoder.done(false);
  const parsed = new SseParser().push(Buffer.from(text));
  const events = parsed.map((e) => {
    const event = JSON.parse(e.data) as Event;
    expect(e.event).toBe(event.type);
    expectSchema('ResponseStreamEvent', event);
    return event;
  });
  events.forEach((event, i) => expect(event.sequence_number).toBe(i));
  return { text, events };
}

describe('Responses door: stream encoder', () => {
  it('turns a text stream into the Responses event sequence', () => {
    const { events } = encode({ model: 'fast', input: 'hi' }, [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hello' }),
      chunk({ content: ' there.' }),
      chunk({}, 'stop'),
      usageChunk,
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[6]).toMatchObject({ text: 'Hello there.' });
    const completed = events[9]!['response'] as Record<string, unknown>;
    expectSchema('Response', completed);
    expect(completed).toMatchObject({
      status: 'completed',
      model: 'llama-3',
      output: [{ type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Hello there.' }] }],
      usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 },
    });
    const created = events[0]!['response'] as Record<string, unknown>;
    expect(created).toMatchObject({ status: 'in_progress', output: [] });
    expect(created['id']).toBe(completed['id']);
  });

  it('turns tool-call deltas into function_call items with argument deltas', () => {
    const { events } = encode({ model: 'fast', input: 'weather?', tools: [{ type: 'function', name: 'get_weather' }] }, [
      chunk({ role: 'assistant', content: null }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      usageChunk,
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[7]).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}', output_index: 0 });
    const completed = events[11]!['response'] as Record<string, unknown>;
    expect(completed['output']).toMatchObject([
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}', status: 'completed' },
    ]);
  });

  it('ends a length-capped answer with response.incomplete', () => {
    const { events } = encode({ model: 'fast', input: 'hi', max_output_tokens: 2 }, [
      chunk({ role: 'assistant', content: 'Two words' }),
      chunk({}, 'length'),
      usageChunk,
    ]);
    const last = events[events.length - 1]!;
    expect(last.type).toBe('response.incomplete');
    expect(last['response']).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(events.find((e) => e.type === 'response.output_item.done')!['item']).toMatchObject({ status: 'incomplete' });
  });

  it('streams a refusal as a refusal part', () => {
    const { events } = encode({ model: 'fast', input: 'hi' }, [
      chunk({ role: 'assistant', refusal: 'I cannot' }),
      chunk({ refusal: ' help.' }),
      chunk({}, 'stop'),
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.refusal.delta',
      'response.refusal.delta',
      'response.refusal.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[6]).toMatchObject({ refusal: 'I cannot help.' });
    expect(events[9]!['response']).toMatchObject({
      output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot help.' }] }],
    });
  });

  it('writes a failure as an error event the SDK recognises', () => {
    const encoder = openAIResponsesDoor.createStreamEncoder(accept({ model: 'fast', input: 'hi', stream: true }));
    const text =
      encoder.chunk(chunk({ role: 'assistant', content: 'Hi' }), undefined, false) +
      encoder.fail({ status: 502, type: 'api_error', code: 'upstream_error', message: 'upstream broke', param: null });
    const events = new SseParser().push(Buffer.from(text));
    const last = events[events.length - 1]!;
    expect(last.event).toBe('error');
    const payload = JSON.parse(last.data) as Event;
    expectSchema('ResponseStreamEvent', payload);
    expect(payload['error']).toEqual({ type: 'api_error', code: 'upstream_error', message: 'upstream broke', param: null });
    expect(payload).toMatchObject({
      type: 'error',
      code: 'upstream_error',
      message: 'upstream broke',
      param: null,
      sequence_number: events.length - 1,
    });
  });

  it('frames native events as they came', () => {
    const encoder = openAIResponsesDoor.createStreamEncoder(accept({ model: 'fast', input: 'hi', stream: true }));
    const data = '{"type":"response.output_text.delta","delta":"x", "sequence_number":4}';
    expect(encoder.chunk(data, 'response.output_text.delta', true)).toBe(`event: response.output_text.delta\ndata: ${data}\n\n`);
    expect(encoder.done(true)).toBe('');
  });
});
