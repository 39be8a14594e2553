/**
 * The event-stream decoder and the ConverseStream translator at their edges: the framing's own test
 * vector, corrupt CRCs, frames split at every byte, exception and error frames inside the 200, and the
 * ways a stream can end (complete, after messageStop only, early, mid-frame).
 */
import { describe, expect, it, vi } from 'vitest';
import { encodeEvent, EventStreamDecoder } from '../../../adapters/bedrock/event-stream.js';
import { BedrockStreamTranslator } from '../../../adapters/bedrock/stream.js';
import type { StreamOutput } from '../../../adapters/types.js';
import { bedrockTarget, clientRequest } from './support.js';

// The answer's id is a digest of the request and the millisecond: a fixed clock makes two translations comparable.
vi.useFakeTimers({ toFake: ['Date'], now: 1_732_000_000_000 });

const event = (type: string, payload: unknown) =>
  Buffer.from(encodeEvent({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(payload)));

const answer = Buffer.concat([
  event('messageStart', { role: 'assistant' }),
  event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hé' } }),
  event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' là' } }),
  event('contentBlockStop', { contentBlockIndex: 0 }),
  event('messageStop', { stopReason: 'end_turn' }),
  event('metadata', { usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 } }),
]);

function translate(pieces: readonly Uint8Array[], includeUsage = false): StreamOutput[] {
  const body = includeUsage ? { messages: [], stream: true, stream_options: { include_usage: true } } : { messages: [], stream: true };
  const translator = new BedrockStreamTranslator(clientRequest(body), bedrockTarget());
  return [...pieces.flatMap((p) => translator.push(p)), ...translator.end()];
}

const contentOf = (outputs: readonly StreamOutput[]): string =>
  outputs
    .flatMap((o) => (o.type === 'chunk' ? [JSON.parse(o.data) as { choices: { delta?: { content?: string } }[] }] : []))
    .map((c) => c.choices[0]?.delta?.content ?? '')
    .join('');

describe('EventStreamDecoder', () => {
  it('decodes the empty message test vector (16 bytes)', () => {
    const events = new EventStreamDecoder().push(Buffer.from('000000100000000005c248eb7d98c8ff', 'hex'));
    expect(events).toEqual([{ messageType: 'event', name: '', payload: '' }]);
  });

  it('rejects a bad prelude CRC and a bad message CRC', () => {
    const frame = event('messageStart', { role: 'assistant' });
    const badPrelude = Buffer.from(frame);
    badPrelude[9] = badPrelude[9]! ^ 0xff;
    expect(() => new EventStreamDecoder().push(badPrelude)).toThrow();
    const badMessage = Buffer.from(frame);
    badMessage[frame.length - 1] = badMessage[frame.length - 1]! ^ 0xff;
    expect(() => new EventStreamDecoder().push(badMessage)).toThrow();
  });

  it('rejects an impossible length instead of waiting for it', () => {
    expect(() => new EventStreamDecoder().push(Buffer.from('00000004', 'hex'))).toThrow(/impossible length/);
  });

  it('waits for whole frames, split anywhere', () => {
    const decoder = new EventStreamDecoder();
    const names = Array.from(answer, (_b, i) => decoder.push(answer.subarray(i, i + 1))).flatMap((events) => events.map((e) => e.name));
    expect(names).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    expect(decoder.buffered).toBe(0);
  });
});

describe('BedrockStreamTranslator', () => {
  it('gives the same output whole and one byte at a time, UTF-8 split included', () => {
    const whole = translate([answer], true);
    expect(
      translate(
        Array.from(answer, (_b, i) => answer.subarray(i, i + 1)),
        true,
      ),
    ).toEqual(whole);
    expect(contentOf(whole)).toBe('Hé là');
    expect(whole.at(-1)).toEqual({ type: 'done' });
    expect(JSON.parse((whole.at(-2) as { data: string }).data)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 2 },
    });
  });

  it('a corrupt frame ends the stream as a server error', () => {
    const corrupt = Buffer.from(answer);
    corrupt[40] = corrupt[40]! ^ 0xff;
    const outputs = translate([corrupt]);
    expect(outputs.at(-1)).toMatchObject({ type: 'error', error: { kind: 'server' } });
    expect((outputs.at(-1) as { error: { message: string } }).error.message).toMatch(/corrupt event-stream frame/);
  });

  it('an :error message (unmodelled error) ends the stream as a server error', () => {
    const errorFrame = Buffer.from(
      encodeEvent({ ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'boom' }, ''),
    );
    const outputs = translate([event('messageStart', { role: 'assistant' }), errorFrame]);
    expect(outputs.at(-1)).toMatchObject({ type: 'error', error: { kind: 'server', code: 'InternalFailure' } });
  });

  it('an end inside a frame after messageStop is still an error (the metadata frame was cut)', () => {
    const cutAt = answer.length - 5;
    expect(translate([answer.subarray(0, cutAt)]).at(-1)).toMatchObject({ type: 'error', error: { kind: 'connection' } });
  });

  it('progress: the text so far is continuable until the answer stops or calls a tool', () => {
    const translator = new BedrockStreamTranslator(clientRequest({ messages: [], stream: true }), bedrockTarget());
    translator.push(answer.subarray(0, answer.indexOf(event('contentBlockStop', { contentBlockIndex: 0 }))));
    expect(translator.progress).toEqual({ text: 'Hé là', contentChunks: 2, continuable: true });
    expect(translator.started).toBe(true);
    translator.push(event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't', name: 'f' } } }));
    expect(translator.progress.continuable).toBe(false);
    expect(translator.model).toBeUndefined();
  });
});
