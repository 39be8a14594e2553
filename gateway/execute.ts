/**
 * The attempt loop. Candidates are tried in plan order under one deadline; a failure whose kind allows
 * failover moves on to the next candidate as long as nothing has reached the client. For streams the
 * response is committed (status and headers sent) only when the first chunk is ready, so an upstream
 * that fails before its first token is invisible to the client.
 */
import type { ClientRequest, Usage } from '../adapters/types.js';
import { GatewayError, gatewayErrorFromUpstream } from './errors.js';
import { UpstreamError } from './upstream-error.js';
import { ClientGone, DeadlineExceeded } from './abort-reasons.js';
import { AttemptControl, asAttemptError, readBody, sendToUpstream } from './attempt.js';
import { FailureLog } from './failures.js';
import type { DeploymentRuntime, RouteRuntime } from './runtime.js';
import type { Telemetry } from './telemetry.js';

export interface ExecuteContext {
  readonly route: RouteRuntime;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  /** performance.now() when the request arrived. */
  readonly receivedAt: number;
  readonly telemetry: Telemetry;
  readonly redact: (text: string) => string;
  readonly random: () => number;
}

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

function deadlineError(route: RouteRuntime, failures: FailureLog): GatewayError {
  const tried = failures.size > 0 ? ` after ${failures.size} failed attempt(s)` : '';
  return new GatewayError('timeout', `Route '${route.name}' did not answer within its ${route.timeouts.totalMs} ms deadline${tried}.`);
}

export async function executeUnary(ctx: ExecuteContext, req: ClientRequest, candidates: readonly DeploymentRuntime[]): Promise<UnaryAnswer> {
  const { route, telemetry } = ctx;
  const deadlineAt = ctx.receivedAt + route.timeouts.totalMs;
  const failures = new FailureLog();
  let attempts = 0;
  for (const deployment of candidates) {
    const remaining = deadlineAt - performance.now();
    if (remaining <= 0) throw deadlineError(route, failures);
    attempts += 1;
    const endpoint = deployment.provider.pool.pick(ctx.random);
    const control = new AttemptControl(ctx.signal, deadlineAt, route.timeouts.totalMs);
    endpoint.inFlight += 1;
    try {
      // Non-stream upstreams send headers only when the whole answer is ready: only the deadline bounds them.
      const res = await sendToUpstream(deployment, endpoint, req, control, {
        headersTimeoutMs: Math.ceil(remaining), bodyTimeoutMs: route.timeouts.idleMs,
      });
      const body = await readBody(res.body, control.signal);
      const translated = deployment.provider.adapter.translateResponse(req, body, deployment.target);
      telemetry.attemptFinished(route.name, deployment, 'success');
      return { body: translated.body, deployment, attempts, usage: translated.usage };
    } catch (raw) {
      const err = asAttemptError(raw, control.signal);
      if (err instanceof ClientGone) {
        telemetry.attemptFinished(route.name, deployment, 'aborted');
        throw err;
      }
      if (err instanceof DeadlineExceeded) {
        telemetry.attemptFinished(route.name, deployment, 'timeout');
        throw deadlineError(route, failures);
      }
      if (!(err instanceof UpstreamError)) throw err;
      telemetry.attemptFinished(route.name, deployment, err.kind);
      if (!err.retryable) throw gatewayErrorFromUpstream(err, deployment.id, ctx.redact);
      failures.add(deployment.id, err);
    } finally {
      endpoint.inFlight -= 1;
      control.dispose();
    }
  }
  throw failures.toGatewayError(route.name, ctx.redact);
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
  const failures = new FailureLog();
  let attempts = 0;
  for (const deployment of candidates) {
    if (deadlineAt - performance.now() <= 0) throw deadlineError(route, failures);
    attempts += 1;
    const endpoint = deployment.provider.pool.pick(ctx.random);
    const control = new AttemptControl(ctx.signal, deadlineAt, totalMs);
    control.armFirstToken(Math.min(performance.now() + firstTokenMs, deadlineAt), firstTokenMs);
    const translator = deployment.provider.adapter.createStreamTranslator(req, deployment.target);
    let opened = false;
    endpoint.inFlight += 1;
    try {
      const res = await sendToUpstream(deployment, endpoint, req, control, { headersTimeoutMs: firstTokenMs, bodyTimeoutMs: idleMs });
      let finished = false;
      const deliver = async (outputs: ReturnType<typeof translator.push>): Promise<void> => {
        for (const out of outputs) {
          if (out.type === 'chunk') {
            if (!opened) {
              control.firstTokenArrived();
              control.armIdle(idleMs);
              sink.open({ deployment, attempts });
              opened = true;
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
      for await (const bytes of res.body as AsyncIterable<Buffer>) {
        await deliver(translator.push(bytes));
        if (finished) break;
      }
      if (!finished) await deliver(translator.end());
      if (!finished) throw new UpstreamError({ kind: 'connection', retryable: true, message: 'upstream stream ended before the answer was complete' });
      if (!opened) sink.open({ deployment, attempts });
      sink.done();
      telemetry.attemptFinished(route.name, deployment, 'success');
      return { kind: 'done', deployment, attempts, usage: translator.usage };
    } catch (raw) {
      const err = asAttemptError(raw, control.signal);
      if (err instanceof ClientGone) {
        telemetry.attemptFinished(route.name, deployment, 'aborted');
        return { kind: 'client_gone', deployment: opened ? deployment : undefined, attempts, usage: translator.usage };
      }
      const upstream = err instanceof DeadlineExceeded ? undefined : err;
      if (upstream !== undefined && !(upstream instanceof UpstreamError)) throw upstream;
      telemetry.attemptFinished(route.name, deployment, upstream?.kind ?? 'timeout');
      if (opened) {
        // Bytes already reached the client: end with an error event, never a silently truncated answer.
        const error = upstream ? gatewayErrorFromUpstream(upstream, deployment.id, ctx.redact) : deadlineError(route, failures);
        telemetry.streamFailed(route.name, deployment, upstream?.kind ?? 'timeout');
        sink.fail(error);
        return { kind: 'failed', error, deployment, attempts, usage: translator.usage };
      }
      if (upstream === undefined) throw deadlineError(route, failures);
      if (!upstream.retryable) throw gatewayErrorFromUpstream(upstream, deployment.id, ctx.redact);
      failures.add(deployment.id, upstream);
    } finally {
      endpoint.inFlight -= 1;
      control.dispose();
    }
  }
  throw failures.toGatewayError(route.name, ctx.redact);
}
