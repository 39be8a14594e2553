/**
 * The skeleton every Server-Sent-Events stream translator shares: bytes in as they arrive (split
 * anywhere) through one SseParser, each event handed to the translator in order until it has closed
 * the stream, a line or event over the parser's limit failing it as a server error, and the body's end
 * handed over only when the stream had not closed itself (the translator decides: complete after
 * all, or cut short). A subclass reads events (onEvent) and says what an early end is (bodyEnded).
 */
import type { StreamOutput } from '../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo } from '../upstream-error.js';
import { SseParser, type SseEvent } from './sse-parser.js';

export abstract class SseTranslator {
  private readonly parser = new SseParser();
  /** The stream is over (done or failed): nothing after it is read. */
  protected closed = false;

  push(bytes: Uint8Array): StreamOutput[] {
    if (this.closed) return [];
    return this.handle(this.parser.push(bytes));
  }

  end(): StreamOutput[] {
    if (this.closed) return [];
    const out = this.handle(this.parser.end());
    if (!this.closed) this.bodyEnded(out);
    return out;
  }

  /** Reads one upstream event. */
  protected abstract onEvent(event: SseEvent, out: StreamOutput[]): void;

  /** The upstream body ended before the stream closed itself: complete it, or fail it. */
  protected abstract bodyEnded(out: StreamOutput[]): void;

  /** The answer is complete: `done`, and nothing after it is read. */
  protected complete(out: StreamOutput[]): void {
    out.push({ type: 'done' });
    this.closed = true;
  }

  protected fail(out: StreamOutput[], error: UpstreamErrorInfo): void {
    out.push({ type: 'error', error });
    this.closed = true;
  }

  private handle(events: readonly SseEvent[]): StreamOutput[] {
    const out: StreamOutput[] = [];
    for (const event of events) {
      if (this.closed) break;
      this.onEvent(event, out);
    }
    const overflow = this.parser.limitError;
    if (overflow && !this.closed) this.fail(out, upstreamErrorOf('server', overflow.message));
    return out;
  }
}
