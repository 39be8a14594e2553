/**
 * The upstream call of one attempt: send the (signed) request through the endpoint's transport, read
 * or stream the body, and map whatever goes wrong into an UpstreamError the runner decides on, or the
 * abort reason we caused (the client left, the deadline passed).
 */
import type { Readable } from 'node:stream';
import type { ClientRequest, UpstreamHttpRequest } from '../../adapters/types.js';
import type { CancelSignal, UpstreamResponse } from '../../upstream/transport.js';
import type { Endpoint } from '../../upstream/endpoint-pool.js';
import { UpstreamError, upstreamErrorOf } from '../../adapters/upstream-error.js';
import { ClientGone, DeadlineExceeded, FirstTokenTimeout, HedgeLost, SlowTry, StreamIdle, TryTimeout } from './abort-reasons.js';
import type { AttemptControl } from './attempt-control.js';
import { sharedClock } from './coarse-clock.js';
import type { DeploymentRuntime } from '../runtime/types.js';

const maxErrorBody = 64 * 1024;
const maxResponseBody = 64 * 1024 * 1024;

/**
 * Sends the request and returns a 2xx response; any other status is read (capped) and classified by
 * the adapter into a thrown UpstreamError.
 */
export async function sendToUpstream(
  deployment: DeploymentRuntime,
  endpoint: Endpoint,
  req: ClientRequest,
  control: AttemptControl,
  timeouts: { headersTimeoutMs: number; bodyTimeoutMs: number },
  httpReq: UpstreamHttpRequest = deployment.provider.adapter.buildRequest(req, deployment.target),
): Promise<UpstreamResponse> {
  const { adapter } = deployment.provider;
  // Signing sees the final bytes; most adapters sign synchronously, so no await unless it must.
  const signed = adapter.authorize === undefined ? httpReq : adapter.authorize(httpReq, deployment.target);
  const ready = signed instanceof Promise ? await signed : signed;
  const res = await endpoint.transport.request(ready, control.signal, timeouts);
  if (res.status >= 200 && res.status < 300) return res;
  const text = (await readCapped(res.body, maxErrorBody, control.signal)).toString('utf8');
  throw new UpstreamError(adapter.classifyError(res.status, text, res.headers));
}

/** How long the rest of an upstream stream may take to drain after its answer was complete. */
const defaultDrainGraceMs = 5_000;
const ignore = () => {};

/**
 * Feeds an upstream stream's bytes to `consume` until it returns true (the answer is complete) or the
 * body ends. An early stop lets the rest of the body (usually only its terminating chunk) drain rather
 * than destroying it: destroying an unfinished stream builds an AbortError with a stack trace, ~40 µs
 * a stream in `npm run bench`, and gives up the keep-alive connection. A body still open after
 * `drainGraceMs` is destroyed. On any failure the body is destroyed at once.
 */
export async function consumeStream(
  body: Readable,
  consume: (bytes: Buffer) => Promise<boolean>,
  drainGraceMs = defaultDrainGraceMs,
): Promise<void> {
  let complete = false;
  try {
    for await (const bytes of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      complete = await consume(bytes);
      if (complete) break;
    }
  } catch (err) {
    // Undici reports its own destroy as an 'error' event: nobody else listens any more.
    body.on('error', ignore);
    body.destroy();
    throw err;
  }
  if (!complete || body.readableEnded || body.destroyed) return;
  body.on('error', ignore);
  const timer = sharedClock.schedule(performance.now() + drainGraceMs, () => body.destroy());
  body.once('close', () => sharedClock.cancel(timer));
  body.resume();
}

/** Reads a whole body, failing as an upstream `server` error past `limit` bytes. */
export function readBody(body: Readable, signal: CancelSignal): Promise<Buffer> {
  // Plain listeners rather than an async iterator: this runs for every non-stream attempt.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxResponseBody) {
        body.destroy(new UpstreamError(upstreamErrorOf('server', `upstream response larger than ${maxResponseBody} bytes`)));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    body.once('error', (err) => reject(asAttemptError(err, signal)));
  });
}

async function readCapped(body: Readable, limit: number, signal: CancelSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    }
  } catch (err) {
    throw asAttemptError(err, signal);
  }
  return Buffer.concat(chunks);
}

/**
 * Whatever an attempt threw, as either an abort reason we caused (ClientGone, DeadlineExceeded) or an
 * UpstreamError the router can decide on. First-token and idle timeouts are the upstream's fault.
 */
export function asAttemptError(err: unknown, signal: CancelSignal): Error {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  const cause = reason ?? err;
  if (cause instanceof ClientGone || cause instanceof DeadlineExceeded || cause instanceof HedgeLost) return cause;
  if (cause instanceof FirstTokenTimeout || cause instanceof StreamIdle || cause instanceof TryTimeout || cause instanceof SlowTry) {
    return new UpstreamError(upstreamErrorOf('timeout', cause.message), { cause });
  }
  if (err instanceof UpstreamError) return err;
  const code = (err as { code?: string } | null)?.code;
  if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new UpstreamError(upstreamErrorOf('timeout', 'the upstream went silent'), { cause: err });
  }
  const message = (err as Error | null)?.message ?? String(err);
  return new UpstreamError(upstreamErrorOf('connection', `the upstream connection failed: ${message}`), { cause: err });
}
