/**
 * A streamed answer. The response is committed (status and headers sent) only when the first chunk is
 * ready, so an upstream that fails before its first token is invisible to the client: the runner fails
 * over. After that, a failure is continued on another deployment where possible (continuation/), and
 * otherwise ends the stream with an error event, never a quiet truncation.
 */
import { speaksNative, type ClientRequest, type StreamOutput } from '../../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../../adapters/upstream-error.js';
import { gatewayErrorFromUpstream, type GatewayError } from '../errors/catalogue.js';
import type { DeploymentRuntime } from '../runtime/types.js';
import { ClientGone, DeadlineExceeded, HedgeLost } from './abort-reasons.js';
import { AttemptControl } from './attempt-control.js';
import { endpointFor } from './endpoint-choice.js';
import { armAdaptiveLimit, promptWork } from './adaptive-limit.js';
import type { Attempt, AttemptRun, AttemptRunner } from './attempt-runner.js';
import { runHedged } from './hedge.js';
import { asAttemptError, consumeStream, sendToUpstream } from './upstream-call.js';
import { deadlineError } from './wrappers/index.js';
import { envelopeOf, type Envelope } from './continuation/chunk-splice.js';
import { continueStream, type Broken } from './continuation/continue-stream.js';
import type { Answer, StreamOutcome, StreamSink } from './sink.js';

type Broke = { kind: 'broken'; error: GatewayError } & Broken & Answer;

export async function executeStream(
  runner: AttemptRunner,
  run: AttemptRun,
  req: ClientRequest,
  candidates: readonly DeploymentRuntime[],
  sink: StreamSink,
): Promise<StreamOutcome> {
  const { ctx } = run;
  const { route, telemetry } = ctx;
  const { firstTokenMs, idleMs } = route.timeouts;
  try {
    const attempt: Attempt<StreamOutcome | Broke> = async (deployment, _run, report) => {
      const endpoint = endpointFor(deployment, ctx, req);
      const control = new AttemptControl(ctx.client, run.deadlineAt, route.timeouts.totalMs);
      const lane = report.hedge;
      lane?.attach(control);
      const startedAt = performance.now();
      control.armFirstToken(Math.min(startedAt + firstTokenMs, run.deadlineAt), firstTokenMs);
      // A hedged route races a late first token instead of cutting it.
      if (lane === undefined) {
        armAdaptiveLimit({ control, deployment, route, req, alternatives: report.alternatives, startedAt, until: 'first-token' });
      }
      const translator = deployment.provider.adapter.createStreamTranslator(req, deployment.target);
      // The upstream answers in the client's own wire (a front door's native answer): its events pass as they are.
      const native = speaksNative(deployment.provider.adapter, req);
      let opened = false;
      let finished = false;
      let envelope: Envelope | undefined;
      endpoint.inFlight += 1;
      /** Commits the client's stream; hedged, only the first try to get here may (the other is cancelled). */
      const open = (): void => {
        if (lane !== undefined && !lane.claimFirstToken()) throw new HedgeLost();
        sink.open({
          route: route.name,
          deployment,
          attempts: run.attempts,
          failed: run.failures.summary(),
          hedged: lane?.hedgedWith,
          native,
        });
        opened = true;
      };
      const deliver = async (outputs: StreamOutput[]): Promise<void> => {
        for (const out of outputs) {
          if (out.type === 'chunk') {
            if (!opened) {
              open();
              control.firstTokenArrived();
              control.armIdle(idleMs);
              // A native answer is never continued (its translator is not continuable): no envelope to keep.
              if (!native) envelope = envelopeOf(out.data);
              report.ttftMs = performance.now() - startedAt;
              run.firstTokenAt = performance.now();
              report.work = { prompt: promptWork(req) };
              telemetry.firstToken(route.name, deployment, performance.now() - ctx.receivedAt);
            } else {
              control.activity();
            }
            if (!sink.chunk(out.data, out.event)) await sink.drain();
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
        if (!opened) open();
        sink.done();
        return { kind: 'done', deployment, attempts: run.attempts, usage: translator.usage };
      } catch (raw) {
        const err = asAttemptError(raw, control.signal);
        if (!opened) throw err;
        // Bytes already reached the client: no failover now; continue elsewhere or end with an error event.
        if (err instanceof ClientGone) {
          report.handledFailure = 'aborted';
          return { kind: 'client_gone', deployment, attempts: run.attempts, usage: translator.usage };
        }
        const upstream = err instanceof UpstreamError ? err : undefined;
        if (!upstream && !(err instanceof DeadlineExceeded)) throw err;
        const error = upstream ? gatewayErrorFromUpstream(upstream, deployment.id, ctx.redact) : deadlineError(run);
        report.handledFailure = upstream?.kind ?? 'timeout';
        telemetry.streamFailed(route.name, deployment, report.handledFailure);
        const progress = translator.progress;
        if (upstream && envelope && progress.continuable) {
          return {
            kind: 'broken',
            error,
            failed: deployment,
            progress,
            envelope,
            deployment,
            attempts: run.attempts,
            usage: translator.usage,
          };
        }
        sink.fail(error);
        return { kind: 'failed', error, deployment, attempts: run.attempts, usage: translator.usage };
      } finally {
        endpoint.inFlight -= 1;
        control.dispose();
        // Once per answer, whatever became of it: the upstream named the model that produced it.
        if (translator.started) deployment.health.drift.observe(translator.model, deployment.driftCheck);
      }
    };
    // Once per request: a route without `hedge` walks its candidates one at a time, as always.
    const { value } =
      route.hedge === undefined
        ? await runner.run(run, candidates, attempt)
        : await runHedged(runner, run, candidates, attempt, route.hedge);
    if (value.kind !== 'broken') return value;
    const continued = await continueStream(runner, run, req, value, candidates, sink);
    if (continued) return { kind: 'done', ...continued };
    if (ctx.client.gone) return { kind: 'client_gone', deployment: value.deployment, attempts: run.attempts, usage: value.usage };
    sink.fail(value.error);
    return { kind: 'failed', error: value.error, deployment: value.deployment, attempts: run.attempts, usage: value.usage };
  } catch (err) {
    if (err instanceof ClientGone) return { kind: 'client_gone', deployment: undefined, attempts: run.attempts, usage: undefined };
    throw err;
  }
}
