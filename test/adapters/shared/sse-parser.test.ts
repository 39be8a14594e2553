import { describe, expect, it } from 'vitest';
import { SseLimitError, SseParser, type SseEvent } from '../../../adapters/shared/sse-parser.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feeds the text in pieces cut at the given byte offsets, then ends the stream. */
function parseSplit(text: string, cuts: number[]): SseEvent[] {
  const all = bytes(text);
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, all.length]) {
    events.push(...parser.push(all.subarray(from, cut)));
    from = cut;
  }
  events.push(...parser.end());
  return events;
}

const parse = (text: string): SseEvent[] => parseSplit(text, []);
const data = (events: SseEvent[]): string[] => events.map((e) => e.data);

describe('SseParser', () => {
  it('parses data events separated by a blank line', () => {
    expect(parse('data: {"a":1}\n\ndata: [DONE]\n\n')).toEqual([
      { event: 'message', data: '{"a":1}', id: '' },
      { event: 'message', data: '[DONE]', id: '' },
    ]);
  });

  it('accepts \\n\\n, \\r\\r and \\r\\n\\r\\n as event separators', () => {
    expect(data(parse('data: a\n\ndata: b\r\rdata: c\r\n\r\n'))).toEqual(['a', 'b', 'c']);
  });

  it('joins multi-line data with \\n', () => {
    expect(data(parse('data: line one\ndata: line two\r\ndata:line three\n\n'))).toEqual(['line one\nline two\nline three']);
  });

  it('drops exactly one space after the colon', () => {
    expect(data(parse('data:  two spaces\n\ndata:none\n\n'))).toEqual([' two spaces', 'none']);
  });

  it('ignores comment lines (keep-alives) and events without data', () => {
    expect(data(parse(': keep-alive\n\n:ping\ndata: x\n\nevent: ping\n\n'))).toEqual(['x']);
  });

  it('handles event, id and retry fields per the spec', () => {
    const parser = new SseParser();
    const events = parser.push(bytes('event: error\nid: 7\nretry: 1500\ndata: {}\n\ndata: next\n\nretry: soon\nid: a\0b\n\n'));
    expect(events).toEqual([
      { event: 'error', data: '{}', id: '7' },
      { event: 'message', data: 'next', id: '7' }, // the event type resets, the last id persists
    ]);
    expect(parser.retryMs).toBe(1500); // `soon` is not a number and is ignored
  });

  it('treats a line without a colon as a field name with an empty value', () => {
    expect(data(parse('data\n\n'))).toEqual(['']);
  });

  it('keeps a CRLF split across pushes as one line break', () => {
    const text = 'data: a\r\n\r\ndata: b\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(data(parseSplit(text, [cut])), `cut at ${cut}`).toEqual(['a', 'b']);
    }
    // The `\r` of `\r\n` and the blank line's `\r\n` each alone in their push.
    expect(data(parseSplit(text, [8, 9, 10]))).toEqual(['a', 'b']);
    // Inside a multi-line event a CRLF split after the `\r` must not read as a blank line.
    const multi = 'data: a\r\ndata: b\r\n\r\n';
    for (let cut = 1; cut < multi.length; cut++) {
      expect(data(parseSplit(multi, [cut])), `cut at ${cut}`).toEqual(['a\nb']);
    }
  });

  it('does not mistake a lone \\r at the end of a push for half of a CRLF when the next push starts with data', () => {
    expect(data(parseSplit('data: a\r\rdata: b\r\r', [8]))).toEqual(['a', 'b']);
  });

  it('decodes a UTF-8 character split between pushes', () => {
    const text = 'data: {"t":"héllo ☕ 😀"}\n\n';
    const length = bytes(text).length;
    for (let cut = 1; cut < length; cut++) {
      expect(data(parseSplit(text, [cut])), `cut at ${cut}`).toEqual(['{"t":"héllo ☕ 😀"}']);
    }
  });

  it('gives the same events for every split of a stream, one byte at a time included', () => {
    const text = ': ping\r\ndata: {"x":"é"}\r\n\r\nevent: error\ndata: a\ndata: b\n\ndata: [DONE]\n\n';
    const whole = parse(text);
    const oneByOne = parseSplit(
      text,
      Array.from({ length: bytes(text).length - 1 }, (_, i) => i + 1),
    );
    expect(oneByOne).toEqual(whole);
    expect(whole).toHaveLength(3);
  });

  it('dispatches a last event that lacks its closing blank line when the body ends', () => {
    expect(data(parse('data: a\n\ndata: [DONE]'))).toEqual(['a', '[DONE]']);
    expect(data(parse('data: a\n\ndata: [DONE]\n'))).toEqual(['a', '[DONE]']);
  });

  it('strips a UTF-8 byte order mark at the start', () => {
    expect(data(parse('\uFEFFdata: a\n\n'))).toEqual(['a']);
  });

  it('bounds memory against a line or an event that never ends, keeping the events before it', () => {
    const parser = new SseParser(1024);
    expect(data(parser.push(bytes(`data: ok\n\ndata: ${'x'.repeat(2000)}`)))).toEqual(['ok']);
    expect(parser.limitError).toBeInstanceOf(SseLimitError);
    expect(parser.push(bytes('\n\ndata: later\n\n'))).toEqual([]);
    expect(parser.end()).toEqual([]);
    const events = new SseParser(1024);
    for (let i = 0; i < 100; i++) events.push(bytes(`data: ${'y'.repeat(50)}\n`));
    expect(events.limitError).toBeInstanceOf(SseLimitError);
  });
});
