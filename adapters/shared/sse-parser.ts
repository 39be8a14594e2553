/**
 * An incremental Server-Sent Events parser (the WHATWG "event stream" rules), fed bytes as they come
 * off the socket. Chunks may split anywhere: inside a UTF-8 character (a streaming TextDecoder keeps
 * the partial bytes), between the `\r` and `\n` of a CRLF, inside a field name. Lines end in `\n`,
 * `\r\n` or `\r`; a blank line dispatches the event; `data:` lines are joined with `\n`; one space after
 * the colon is dropped; lines starting with `:` are comments (keep-alives) and ignored; `event:` sets the
 * type, `id:` the last event id, `retry:` the reconnection delay; other fields are ignored.
 *
 * One deliberate departure from the spec: at the end of the body a pending event without its closing
 * blank line is still dispatched (the spec drops it). Servers that close right after `data: [DONE]\n`
 * exist, and a truncated JSON payload is caught later anyway because it fails to parse.
 */

export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  event: string;
  data: string;
  /** The last event id seen so far in the stream ('' when none). */
  id: string;
}

export class SseLimitError extends Error {
  constructor(limit: number) {
    super(`upstream sent an SSE line or event longer than ${limit} characters`);
    this.name = 'SseLimitError';
  }
}

// Shared by all parsers: safe because feed() resets lastIndex and never re-enters itself.
const lineBreak = /\r\n|\r|\n/g;

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** Text of the line being received (no line break seen yet). */
  private partial = '';
  /** The previous chunk ended in `\r`: a `\n` at the start of the next one belongs to it. */
  private skipLeadingLF = false;
  private dataLines: string[] = [];
  private dataChars = 0;
  private eventType = '';
  private lastEventId = '';
  private retry: number | undefined;
  private overflow: SseLimitError | undefined;

  /** `maxLineChars` bounds memory against an upstream that never ends a line or an event. */
  constructor(private readonly maxLineChars = 16 * 1024 * 1024) {}

  /**
   * Set once a line or event outgrew the limit. The events before it are still returned; nothing
   * after it is parsed (the stream cannot be trusted past a point we could not read).
   */
  get limitError(): SseLimitError | undefined {
    return this.overflow;
  }

  /** The last valid `retry:` value, in ms. */
  get retryMs(): number | undefined {
    return this.retry;
  }

  push(bytes: Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.overflow) return out;
    try {
      this.feed(this.decoder.decode(bytes, { stream: true }), out);
    } catch (err) {
      this.stop(err);
    }
    return out;
  }

  /** The body has ended: flush what is left (see the note at the top on the last event). */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.overflow) return out;
    try {
      this.feed(this.decoder.decode(), out);
      if (this.partial !== '') {
        const line = this.partial;
        this.partial = '';
        this.processLine(line, out);
      }
      this.dispatch(out);
    } catch (err) {
      this.stop(err);
    }
    return out;
  }

  private stop(err: unknown): void {
    if (!(err instanceof SseLimitError)) throw err;
    this.overflow = err;
    this.partial = '';
    this.dataLines = [];
  }

  private feed(text: string, out: SseEvent[]): void {
    if (text === '') return;
    let start = 0;
    if (this.skipLeadingLF) {
      this.skipLeadingLF = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    lineBreak.lastIndex = start;
    for (let m = lineBreak.exec(text); m !== null; m = lineBreak.exec(text)) {
      const line = this.partial === '' ? text.slice(start, m.index) : this.partial + text.slice(start, m.index);
      this.partial = '';
      start = m.index + m[0].length;
      // A lone `\r` at the very end may be the first half of a CRLF split across chunks.
      if (m[0] === '\r' && start === text.length) this.skipLeadingLF = true;
      this.processLine(line, out);
    }
    if (start < text.length) {
      this.partial += text.slice(start);
      if (this.partial.length > this.maxLineChars) throw new SseLimitError(this.maxLineChars);
    }
  }

  private processLine(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return; // comment, e.g. `: keep-alive`
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataChars += value.length + 1;
        if (this.dataChars > this.maxLineChars) throw new SseLimitError(this.maxLineChars);
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(out: SseEvent[]): void {
    if (this.dataLines.length > 0) {
      const data = this.dataLines.length === 1 ? this.dataLines[0]! : this.dataLines.join('\n');
      out.push({ event: this.eventType === '' ? 'message' : this.eventType, data, id: this.lastEventId });
    }
    this.dataLines = [];
    this.dataChars = 0;
    this.eventType = '';
  }
}
