/**
 * Finishing a stream that broke after bytes reached the client, so the client still gets one complete
 * answer. On a deployment that declares `prefill` and whose adapter can continue an assistant message,
 * the partial answer is sent as a prefix and only the continuation streams on. Elsewhere, a
 * deterministic request (temperature 0, or a seed) is restarted and held back until it has reproduced
 * what the client already has; if it says something else it is stopped. Nothing fits: the caller ends
 * the stream with the original error event.
 */
import type { ClientRequest, StreamProgress, UpstreamHttpRequest, Usage } from '../../../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';
import { AttemptControl, asAttemptError, consumeStream, sendToUpstream } from '../upstream-call.js';
import { ReplayGate, spliceChunk, type Envelope } from './chunk-splice.js';
import { verdictOf } from '../../health/deployment-health.js';
import type { LoopContext } from '../attempt-runner.js';
import type { StreamSink } from '../execute-stream.js';
import type { DeploymentRuntime } from '../../runtime/types.js';

export interface Broken {
  readonly failed: DeploymentRuntime;
  readonly progress: StreamProgress;
  readonly envelope: Envelope;
}

export interface Continued {
  deployment: DeploymentRuntime;
  usage: Usage | undefined;
  attempts: number;
}

function deterministic(req: ClientRequest): boolean {
  return req.body.temperature === 0 || Number.isInteger(req.body.seed);
}

type Plan = { mode: 'prefill'; httpReq: UpstreamHttpRequest } | { mode: 'replay' };

function planFor(d: DeploymentRuntime, req: ClientRequest, progress: StreamProgress): Plan | undefined {
  if (d.capabilities.has('prefill')) {
    const httpReq = d.provider.adapter.buildContinuation?.(req, progress, d.target);
    if (httpReq) return { mode: 'prefill', httpReq };
  }
  return deterministic(req) ? { mode: 'replay' } : undefined;
}

export async function continueStream(
  ctx: LoopContext,
  req: ClientRequest,
  broken: Broken,
  candidates: readonly DeploymentRuntime[],
  sink: StreamSink,
  attemptsSoFar: number,
): Promise<Continued | undefined> {
  const { route, telemetry } = ctx;
  const { firstTokenMs, idleMs, totalMs } = route.timeouts;
  const deadlineAt = ctx.receivedAt + totalMs;
  let text = broken.progress.text;
  let progress = broken.progress;
  let previous = broken.failed;
  let attempts = attemptsSoFar;
  for (const d of candidates) {
    if (d === broken.failed || !d.operations.has('chat') || ctx.client.gone) continue;
    const now = performance.now();
    if (deadlineAt - now <= 0) return undefined;
    const plan = planFor(d, req, progress);
    if (!plan) continue;
    const permit = d.health.acquire(now);
    if (!permit) continue;
    telemetry.failover(route.name, previous, d);
    previous = d;
    attempts += 1;
    const endpoint = d.provider.pool.pick(ctx.random);
    const control = new AttemptControl(ctx.client, deadlineAt, totalMs);
    control.armFirstToken(Math.min(now + firstTokenMs, deadlineAt), firstTokenMs);
    const translator = d.provider.adapter.createStreamTranslator(req, d.target);
    const gate = plan.mode === 'replay' ? new ReplayGate(text, broken.envelope) : undefined;
    endpoint.inFlight += 1;
    d.health.stats.inFlight += 1;
    try {
      const res = await sendToUpstream(d, endpoint, req, control, { headersTimeoutMs: firstTokenMs, bodyTimeoutMs: idleMs }, plan.mode === 'prefill' ? plan.httpReq : undefined);
      let done = false;
      let producing = false;
      const deliver = async (outputs: ReturnType<typeof translator.push>) => {
        for (const out of outputs) {
          if (out.type === 'error') throw new UpstreamError(out.error);
          if (out.type === 'done') {
            done = true;
            return;
          }
          // Progress counts even while a replay is held back: the upstream is producing.
          if (!producing) {
            producing = true;
            control.firstTokenArrived();
            control.armIdle(idleMs);
          } else {
            control.activity();
          }
          const frames = gate ? gate.accept(out.data) : [spliceChunk(out.data, broken.envelope)];
          if (frames === 'diverged') throw new UpstreamError(upstreamErrorOf('server', 'the restarted answer diverged from what the client already received'));
          for (const frame of frames) if (!sink.chunk(frame)) await sink.drain();
        }
      };
      await consumeStream(res.body, async (bytes) => {
        await deliver(translator.push(bytes));
        return done;
      });
      if (!done) await deliver(translator.end());
      if (!done) throw new UpstreamError(upstreamErrorOf('connection', 'upstream stream ended before the answer was complete'));
      sink.done();
      d.health.record(permit, 'success', performance.now());
      telemetry.attemptFinished(route.name, d, 'success');
      return { deployment: d, usage: translator.usage, attempts };
    } catch (raw) {
      const err = asAttemptError(raw, control.signal);
      const kind = err instanceof UpstreamError ? err.kind : 'aborted';
      d.health.record(permit, verdictOf(kind), performance.now());
      telemetry.attemptFinished(route.name, d, kind);
      if (!(err instanceof UpstreamError)) return undefined;
      // What this attempt added is now the client's too: the next one continues from there.
      text += plan.mode === 'prefill' ? translator.progress.text : gate?.passedThrough ? translator.progress.text.slice(text.length) : '';
      progress = { text, contentChunks: progress.contentChunks + translator.progress.contentChunks, continuable: true };
    } finally {
      endpoint.inFlight -= 1;
      d.health.stats.inFlight -= 1;
      control.dispose();
    }
  }
  return undefined;
}
