/**
 * What every native stream translator shares (an upstream speaking the client's own wire, a front
 * door's native answer; ProviderAdapter.nativeWires), beyond any SSE translator's skeleton
 * (sse-translator.ts): passing each event on as it came, a body that stops early as a connection
 * error, and holding back the events a stream opens with until its first content, so that an upstream
 * failing before it produced anything has sent the client nothing and another deployment can still
 * answer (time to first token is measured to the first content too). A subclass says which events
 * open a stream and reads what it needs on the way.
 */
import type { StreamOutput, StreamProgress, StreamTranslator, Usage } from '../types.js';
import { upstreamErrorOf } from '../upstream-error.js';
import { SseTranslator } from './sse-translator.js';

export abstract class NativeSseTranslator extends SseTranslator implements StreamTranslator {
  /** Opening events not passed on yet. */
  private held: StreamOutput[] = [];
  private emitted = false;

  /** `incomplete`: what a body that ends before the answer's last event is (a connection error). */
  constructor(private readonly incomplete: string) {
    super();
  }

  abstract get usage(): Usage | undefined;
  abstract get model(): string | undefined;
  abstract get progress(): StreamProgress;

  get started(): boolean {
    return this.emitted;
  }

  protected bodyEnded(out: StreamOutput[]): void {
    this.fail(out, upstreamErrorOf('connection', this.incomplete));
  }

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
}
