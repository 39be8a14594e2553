/**
 * What every native stream translator shares (an upstream speaking the client's own wire, a front
 * door's native answer; ProviderAdapter.nativeWires): the SSE parsing, passing each event on as it
 * came, the end of the answer, failures, a body that stops early, and holding back the events a stream
 * opens with until its first content, so that an upstream failing before it produced anything has sent
 * the client nothing and another deployment can still answer (time to first token is measured to the
 * first content too). A subclass says which events open a stream and reads what it needs on the way.
 */
import type { StreamOutput, StreamProgress, StreamTranslator, Usage } from '../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo } from '../upstream-error.js';
import { SseParser, type SseEvent } from './sse-parser.js';

export abstract class NativeSseTranslator implements StreamTranslator {
  private readonly parser = new SseParser();
  /** Opening events not passed on yet. */
  private held: StreamOutput[] = [];
  private emitted = false;
  private closed = false;

  /** `incomplete`: what a body that ends before the answer's last event is (a connection error). */
  constructor(private readonly incomplete: string) {}

  abstract get usage(): Usage | undefined;
  abstract get model(): string | undefined;
  abstract get progress(): StreamProgress;

  get started(): boolean {
    return this.emitted;
  }

  push(bytes: Uint8Array): StreamOutput[] {
    if (this.closed) return [];
    return this.handle(this.parser.push(bytes));
  }

  end(): StreamOutput[] {
    if (this.closed) return [];
    const out = this.handle(this.parser.end());
    if (!this.closed) this.fail(out, upstreamErrorOf('connection', this.incomplete));
    return out;
  }

  /** Reads one upstream event and passes it on (forward), ends the answer (finish) or fails it (fail). */
  protected abstract onEvent(event: SseEvent, out: StreamOutput[]): void;

  /** Passes an event on as it came; an `opening` one is held back while nothing with content has come. */
  protected forward(out: StreamOutput[], data: string, event: string, opening: boolean): void {
    const chunk: StreamOutput = { type: 'chunk', data, event };
    if (!this.emitted && opening) {
      this.held.push(chunk);
      return;
    }
    if (!this.emitted) {
      this.emitted = true;
      if (this.held.length > 0) out.push(...this.held);
      this.held = [];
    }
    out.push(chunk);
  }

  /** The answer is complete: nothing after it is read. */
  protected finish(out: StreamOutput[]): void {
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
