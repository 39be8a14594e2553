/**
 * The StreamSink over an HTTP response: Server-Sent Events as OpenAI frames them (`data: <json>` and a
 * blank line, `data: [DONE]` at the end, no `event:` lines). Headers are committed only on open(), so
 * everything before the first chunk can still fail over or become a normal HTTP error.
 */
import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../gateway/errors/catalogue.js';
import type { StreamOpening, StreamSink } from '../gateway/execute/sink.js';
import { spilledSummary, type RequestRecord } from '../gateway/request.js';

export class SseSink implements StreamSink {
  /** `record`: its limits' x-ratelimit-* headers go out with the stream's headers. */
  constructor(
    protected readonly res: ServerResponse,
    private readonly record?: RequestRecord,
  ) {}

  /** Whether this tick's writes are being gathered (see chunk()). */
  private corked = false;

  private static readonly uncork = (sink: SseSink): void => {
    sink.corked = false;
    sink.res.uncork();
  };

  open(answer: StreamOpening): void {
    if (answer.failed !== '') this.res.setHeader('x-switchyard-failed', answer.failed);
    if (answer.hedged !== undefined) this.res.setHeader('x-switchyard-hedged', answer.hedged);
    if (this.record?.variant !== undefined) this.res.setHeader('x-switchyard-variant', this.record.variant);
    if (this.record?.spilled !== undefined) this.res.setHeader('x-switchyard-spilled', spilledSummary(this.record.spilled));
    const limits = this.record?.limits;
    if (limits) for (const [name, value] of Object.entries(limits.headers())) this.res.setHeader(name, value);
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Proxies such as nginx must pass each event on at once.
      'x-accel-buffering': 'no',
      'x-switchyard-route': answer.route,
      'x-switchyard-deployment': answer.deployment.id,
      'x-switchyard-attempts': String(answer.attempts),
    });
  }

  chunk(json: string, _event?: string): boolean {
    return this.write(`data: ${json}\n\n`);
  }

  /** Writes SSE text; events produced in one tick (an upstream read often carries several) leave in one write. */
  protected write(text: string): boolean {
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(SseSink.uncork, this);
    }
    return this.res.write(text);
  }

  drain(): Promise<void> {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }

  done(): void {
    this.res.end('data: [DONE]\n\n');
  }

  fail(error: GatewayError): void {
    // openai-node throws APIError on a data event whose JSON has a top-level `error` (v5, v6 and v7).
    this.res.end(`data: ${JSON.stringify(error.toBody())}\n\n`);
  }
}
