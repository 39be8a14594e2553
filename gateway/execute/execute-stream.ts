/**
 * One attempt at a deployment, unary or streamed, run under the attempt loop (attempt-loop.ts), which
 * owns failover, retries and health. For streams the response is committed (status and headers sent)
 * only when the first chunk is ready, so an upstream that fails before its first token is invisible to
 * the client; after that, a failure ends the stream with an error event, never a quiet truncation.
 */
import type { ClientRequest, Usage } from '../../adapters/types.js';
import { GatewayError, gatewayErrorFromUpstream } from '../errors/catalogue.js';
import { UpstreamError, upstreamErrorOf } from '../../adapters/upstream-error.js';
import { ClientGone, DeadlineExceeded } from './abort-reasons.js';
import { AttemptControl, asAttemptError, consumeStream, readBody, sendToUpstream } from './upstream-call.js';
import { deadlineError, runAttempts, type LoopContext } from './attempt-runner.js';
import { FailureLog } from '../errors/failure-log.js';
import { envelopeOf, type Envelope } from './continuation/chunk-splice.js';
import { continueStream, type Broken } from './continuation/continue-stream.js';
import { ChunkAggregator } from './chunk-aggregate.js';
import type { DeploymentRuntime } from '../runtime/types.js';

export type ExecuteContext = LoopContext;

export interface Answer {
  deployment: DeploymentRuntime;
  attempts: number;
  usage: Usage | undefined;
}

export interface UnaryAnswer extends Answer {
  body: string;
}

/** Where a stream's output goes; routes/ implements it over the HTTP response. */
export interface StreamSink {
  /** Commits the response (200 + SSE headers). Called once, before the first chunk. */
  open(answer: { deployment: DeploymentRuntime; attempts: number }): void;
  /** Writes one chunk (JSON text); false when the client's buffer is full. */
  chunk(json: string): boolean;
  /** Resolves when the client can take more, or has gone. */
  drain(): Promise<void>;
  /** Writes `data: [DONE]` and ends. */
  done(): void;
  /** Writes an error event and ends: the answer is incomplete. */
  fail(error: GatewayError): void;
}

export type StreamOutcome =
  | ({ kind: 'done' } & Answer)
  | ({ kind: 'failed'; error: GatewayError } & Answer)
  | { kind: 'client_gone'; deployment: DeploymentRuntime | undefined; attempts: number; usage: Usage | undefined };

export async function executeUnary(ctx: ExecuteContext, req: ClientRequest, candidates: readonly DeploymentRuntime[]): Promise<UnaryAnswer> {
  if (ctx.route.streamUpstream && req.operation !== 'embeddings') return executeUnaryAsStream(ctx, req, candidates);
  const { totalMs, idleMs } = ctx.route.timeouts;
  const deadlineAt = ctx.receivedAt + totalMs;
  const { value, deployment, attempts } = await runAttempts(ctx, candidates, async (d) => {
    const endpoint = d.provider.pool.pick(ctx.random);
    const control = new AttemptControl(ctx.client, deadlineAt, totalMs);
    endpoint.inFlight += 1;
    try {
      // Non-stream upstreams send headers only when the whole answer is ready: only the deadline bounds them.
      const res = await sendToUpstream(d, endpoint, req, control, {
        headersTimeoutMs: Math.max(1, Math.ceil(deadlineAt - performance.now())), bodyTimeoutMs: idleMs,
      });
      const body = await readBody(res.body, control.signal);
      return d.provider.adapter.translateResponse(req, body, d.target);
    } catch (raw) {
      throw asAttemptError(raw, control.signal);
    } finally {
      endpoint.inFlight -= 1;
      control.dispose();
    }
  });
  return { body: value.body, deployment, attempts, usage: value.usage };
}

export async function executeStream(
  ctx: ExecuteContext,
  req: ClientRequest,
  candidates: readonly DeploymentRuntime[],
  sink: StreamSink,
): Promise<StreamOutcome> {
  const { route, telemetry } = ctx;
  const { firstTokenMs, idleMs, totalMs } = route.timeouts;
  const deadlineAt = ctx.receivedAt + totalMs;
  try {
    const { value } = await runAttempts<StreamOutcome | ({ kind: 'broken'; error: GatewayError } & Broken & Answer)>(ctx, candidates, async (deployment, attempts, report) => {
      const endpoint = deployment.provider.pool.pick(ctx.random);
      const control = new AttemptControl(ctx.client, deadlineAt, totalMs);
      control.armFirstToken(Math.min(performance.now() + firstTokenMs, deadlineAt), firstTokenMs);
      const translator = deployment.provider.adapter.createStreamTranslator(req, deployment.target);
      const startedAt = performance.now();
      let opened = false;
      let finished = false;
      let envelope: Envelope | undefined;
      endpoint.inFlight += 1;
      const deliver = async (outputs: ReturnType<typeof translator.push>): Promise<void> => {
        for (const out of outputs) {
          if (out.type === 'chunk') {
            if (!opened) {
              control.firstTokenArrived();
              control.armIdle(idleMs);
              sink.open({ deployment, attempts });
              opened = true;
              envelope = envelopeOf(out.data);
              report.ttftMs = performance.now() - startedAt;
              telemetry.firstToken(route.name, deployment, performance.now() - ctx.receivedAt);
            } else {
              control.activity();
            }
            if (!sink.chunk(out.data)) await sink.drain();
          } else if (out.type === 'error') {
            throw new UpstreamError(out.error);
          } else {
            finished = true;
            return;
          }
        }
      };
      try {
        const res = await sendToUpstream(deployment, endpoint, req, control, { headersTimeoutMs: firstTokenMs, bodyTimeoutMs: idleMs });
        await consumeStream(res.body, async (bytes) => {
          await deliver(translator.push(bytes));
          return finished;
        });
        if (!finished) await deliver(translator.end());
        if (!finished) throw new UpstreamError(upstreamErrorOf('connection', 'upstream stream ended before the answer was complete'));
        if (!opened) sink.open({ deployment, attempts });
        sink.done();
        return { kind: 'done', deployment, attempts, usage: translator.usage };
      } catch (raw) {
        const err = asAttemptError(raw, control.signal);
        if (!opened) throw err;
        // Bytes already reached the client: no failover now; end with an error event.
        if (err instanceof ClientGone) {
          report.handledFailure = 'aborted';
          return { kind: 'client_gone', deployment, attempts, usage: translator.usage };
        }
        const upstream = err instanceof UpstreamError ? err : undefined;
        if (!upstream && !(err instanceof DeadlineExceeded)) throw err;
        const error = upstream ? gatewayErrorFromUpstream(upstream, deployment.id, ctx.redact) : deadlineError(route, new FailureLog());
        report.handledFailure = upstream?.kind ?? 'timeout';
        telemetry.streamFailed(route.name, deployment, report.handledFailure);
        const progress = translator.progress;
        if (upstream && envelope && progress.continuable) {
          return { kind: 'broken', error, failed: deployment, progress, envelope, deployment, attempts, usage: translator.usage };
        }
        sink.fail(error);
        return { kind: 'failed', error, deployment, attempts, usage: translator.usage };
      } finally {
        endpoint.inFlight -= 1;
        control.dispose();
      }
    });
    if (value.kind !== 'broken') return value;
    const continued = await continueStream(ctx, req, value, candidates, sink, value.attempts);
    if (continued) return { kind: 'done', ...continued };
    if (ctx.client.gone) return { kind: 'client_gone', deployment: value.deployment, attempts: value.attempts, usage: value.usage };
    sink.fail(value.error);
    return { kind: 'failed', error: value.error, deployment: value.deployment, attempts: value.attempts, usage: value.usage };
  } catch (err) {
    if (err instanceof ClientGone) return { kind: 'client_gone', deployment: undefined, attempts: 0, usage: undefined };
    throw err;
  }
}

/**
 * A non-stream request answered from an upstream stream (routes with `stream_upstream: true`): every
 * stream protection applies — first-token and idle timeouts, failover before the first chunk, and
 * continuation of an answer broken mid-way — and, since nothing reaches the client before the answer is
 * complete, any failure that remains is a normal HTTP error.
 */
async function executeUnaryAsStream(ctx: ExecuteContext, req: ClientRequest, candidates: readonly DeploymentRuntime[]): Promise<UnaryAnswer> {
  const body = { ...req.body, stream: true };
  const streamed: ClientRequest = { ...req, body, raw: Buffer.from(JSON.stringify(body)), stream: true, includeUsage: true };
  const aggregator = new ChunkAggregator(req.operation === 'completions' ? 'completions' : 'chat');
  const sink: StreamSink = {
    open: () => undefined,
    chunk: (json) => {
      aggregator.add(json);
      return true;
    },
    drain: () => Promise.resolve(),
    done: () => undefined,
    fail: () => undefined,
  };
  const outcome = await executeStream(ctx, streamed, candidates, sink);
  if (outcome.kind === 'client_gone') throw new ClientGone();
  if (outcome.kind === 'failed') throw outcome.error;
  return { body: aggregator.result(), deployment: outcome.deployment, attempts: outcome.attempts, usage: outcome.usage };
}
