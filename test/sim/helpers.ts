/**
 * Raw-client helpers for the simulator tests: POST JSON with fetch, split SSE text into events, read
 * a stream chunk by chunk with a bounded wait, and poll a condition without asserting on timings.
 */
import type { RunningSimulator } from '../../sim/index.js';

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

export const chatRequest = (model: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Tell me a story about trains.' },
  ],
  ...extra,
});

export function post(
  sim: RunningSimulator,
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

/** The `data:` payloads of an SSE text, in order (comments and blank lines dropped). */
export function dataEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data:'))
    .map((e) => e.slice('data:'.length).trim());
}

/** Parsed JSON chunks of an SSE text, `[DONE]` excluded. */
export function jsonChunks(text: string): Array<Record<string, unknown>> {
  return dataEvents(text)
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d) as Record<string, unknown>);
}

/** Counts content-bearing chat chunks (a delta with text content). */
export function contentChunks(text: string): number {
  return jsonChunks(text).filter((c) => {
    const choices = c['choices'] as Array<{ delta?: { content?: unknown } }> | undefined;
    return typeof choices?.[0]?.delta?.content === 'string' && choices[0]!.delta!.content !== '';
  }).length;
}

export class StreamReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  text = '';

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** Reads until `done(text)` holds; throws if the stream ends first. */
  async until(done: (text: string) => boolean): Promise<string> {
    while (!done(this.text)) {
      const { value, done: ended } = await this.reader.read();
      if (ended) throw new Error(`stream ended before the condition held; got:\n${this.text}`);
      this.text += this.decoder.decode(value, { stream: true });
    }
    return this.text;
  }

  /** Reads for at most `ms`: 'bytes' if anything arrived, 'end' if the stream ended, 'quiet' otherwise. */
  async waitFor(ms: number): Promise<'bytes' | 'end' | 'quiet'> {
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<'quiet'>((resolve) => {
      timer = setTimeout(() => resolve('quiet'), ms);
    });
    const read = this.reader.read().then(({ value, done }) => {
      if (done) return 'end' as const;
      this.text += this.decoder.decode(value, { stream: true });
      return 'bytes' as const;
    });
    read.catch(() => undefined); // an abort later rejects the pending read; that is expected
    try {
      return await Promise.race([read, quiet]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads to the end; resolves with the text, or rejects if the connection breaks. */
  async rest(): Promise<string> {
    for (;;) {
      const { value, done } = await this.reader.read();
      if (done) return this.text;
      this.text += this.decoder.decode(value, { stream: true });
    }
  }
}

export { pollUntil } from '../support/poll.js';
