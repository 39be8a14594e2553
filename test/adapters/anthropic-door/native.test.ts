/**
 * The anthropic adapter speaking the Messages API natively (a request from the Anthropic front door):
 * the client's bytes sent with only the model replaced, to /v1/messages or /count_tokens, with the
 * client's anthropic-beta; the body returned as it came with its usage; the stream forwarded event by
 * event (message_start held until content, so an early failure can still fail over), usage tracked,
 * `error` events classified, a cut stream an error, nothing continuable. Plain OpenAI requests are
 * untouched.
 */
import { describe, expect, it } from 'vitest';
import { anthropicAdapter } from '../../../adapters/anthropic/index.js';
import { anthropicMessagesDoor } from '../../../adapters/anthropic/door/index.js';
import type { StreamOutput } from '../../../adapters/types.js';
import { chatRequest, target } from '../anthropic/support.js';
import { accept, acceptCount, baseBody } from './support.js';

const event = (payload: { type: string } & Record<string, unknown>) => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
const messageStart = event({
  type: 'message_start',
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-20250514',
    content: [],
    usage: { input_tokens: 11, cache_read_input_tokens: 4, output_tokens: 1 },
  },
});
const ping = event({ type: 'ping' });
const blockStart = event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
const textDelta = event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi there' } });
const blockStop = event({ type: 'content_block_stop', index: 0 });
const messageDelta = event({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } });
const messageStop = event({ type: 'message_stop' });
const whole = [messageStart, ping, blockStart, textDelta, blockStop, messageDelta, messageStop].join('');

function streamOf(text: string, pieceSize: number) {
  const translator = anthropicAdapter.createStreamTranslator(accept({ ...baseBody, stream: true }).request, target());
  const outputs: StreamOutput[] = [];
  const startedAfter: boolean[] = [];
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += pieceSize) {
    outputs.push(...translator.push(bytes.subarray(i, i + pieceSize)));
    startedAfter.push(translator.started);
  }
  outputs.push(...translator.end());
  return { translator, outputs, startedAfter };
}

describe('anthropic adapter: native Messages API', () => {
  it('declares the wire and the count_tokens operation', () => {
    expect(anthropicAdapter.nativeWires?.has('anthropic-messages')).toBe(true);
    expect(anthropicAdapter.operations.has('count_tokens')).toBe(true);
  });

  it("sends the client's bytes with only the model replaced, and its anthropic-beta", () => {
    const raw =
      '{"model":"claude-route", "max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral"}}]}],"top_k":5,"thinking":{"type":"enabled","budget_tokens":1024}}';
    const body = JSON.parse(raw) as Record<string, unknown>;
    const request = anthropicMessagesRequest(raw, body, { 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    const upstream = anthropicAdapter.buildRequest(request, target({ beta: ['prompt-caching-2024-07-31'] }));
    expect(upstream.path).toBe('/v1/messages');
    expect(upstream.body?.toString()).toBe(raw.replace('"claude-route"', '"claude-sonnet-4-20250514"'));
    expect(upstream.headers).toMatchObject({
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'prompt-caching-2024-07-31,interleaved-thinking-2025-05-14',
      accept: 'application/json',
    });
  });

  it('sends token counts to /v1/messages/count_tokens and returns the count as it came', () => {
    const request = acceptCount({ model: 'claude-route', messages: [{ role: 'user', content: 'Hi' }] }).request;
    const upstream = anthropicAdapter.buildRequest(request, target());
    expect(upstream.path).toBe('/v1/messages/count_tokens');
    expect(JSON.parse(upstream.body!.toString())).toEqual({
      model: 'claude-sonnet-4-20250514',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const answer = anthropicAdapter.translateResponse(request, Buffer.from('{"input_tokens":8}'), target());
    expect(answer).toEqual({ body: '{"input_tokens":8}' });
  });

  it('returns a Message as it came, with its usage and model', () => {
    const body =
      '{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":3}}';
    const answer = anthropicAdapter.translateResponse(accept(baseBody).request, Buffer.from(body), target());
    expect(answer.body).toBe(body);
    expect(answer.model).toBe('claude-sonnet-4-20250514');
    expect(answer.usage).toEqual({ promptTokens: 15, completionTokens: 3, totalTokens: 18, cachedTokens: 5 });
  });

  it('forwards every event, split anywhere, and ends with done after message_stop', () => {
    for (const size of [1, 7, whole.length]) {
      const { translator, outputs } = streamOf(whole, size);
      const chunks = outputs.filter((o) => o.type === 'chunk');
      expect(chunks.map((c) => c.event)).toEqual([
        'message_start',
        'ping',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      expect(chunks.map((c) => `event: ${c.event}\ndata: ${c.data}\n\n`).join('')).toBe(whole);
      expect(outputs.at(-1)).toEqual({ type: 'done' });
      expect(translator.usage).toEqual({ promptTokens: 15, completionTokens: 9, totalTokens: 24, cachedTokens: 4 });
      expect(translator.model).toBe('claude-sonnet-4-20250514');
      expect(translator.progress.continuable).toBe(false);
    }
  });

  it('holds message_start until content, so an error before it leaves nothing sent', () => {
    const overloaded = event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } as { type: string });
    const { translator, outputs } = streamOf(messageStart + ping + overloaded, 10_000);
    expect(translator.started).toBe(false);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toMatchObject({ type: 'error', error: { kind: 'overloaded', message: 'Overloaded' } });
  });

  it('is started from the first content event', () => {
    const { startedAfter } = streamOf(messageStart + blockStart, messageStart.length);
    expect(startedAfter).toEqual([false, true]);
  });

  it('reports a stream cut before message_stop as an error', () => {
    const { outputs } = streamOf(messageStart + blockStart + textDelta, 10_000);
    expect(outputs.at(-1)).toMatchObject({ type: 'error', error: { kind: 'connection' } });
    expect(outputs.filter((o) => o.type === 'chunk')).toHaveLength(3);
  });

  it('leaves OpenAI-shaped requests to the translation', () => {
    const request = chatRequest({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 });
    const upstream = anthropicAdapter.buildRequest(request, target());
    expect(JSON.parse(upstream.body!.toString())).toEqual({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(
      anthropicAdapter.buildContinuation?.(
        accept({ ...baseBody, stream: true }).request,
        { text: 'a', contentChunks: 1, continuable: true },
        target(),
      ),
    ).toBeUndefined();
  });
});

/** A front-door request whose raw bytes are exactly `raw` (accept() keeps them as given). */
function anthropicMessagesRequest(raw: string, body: Record<string, unknown>, headers: Record<string, string>) {
  return anthropicMessagesDoor.accept(body, Buffer.from(raw), headers).request;
}
