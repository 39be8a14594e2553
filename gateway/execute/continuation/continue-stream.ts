/**
 * Finishing a stream that broke after bytes reached the client, so the client still gets one complete
 * answer. The candidates are walked in plan order (the deployment that broke left out), each as up to
 * two steps: prefill, where the deployment declares `prefill` and its adapter can continue an
 * assistant message (the partial answer is sent as a prefix and only the continuation streams on);
 * then a replay, where the route's `continuation.replay` allows it (`deterministic`: temperature 0 or
 * a seed; `always`; `never`): the request is restarted and held back until it has reproduced what the
 * client already has, then only the rest passes; a replay that says something else is stopped at its
 * first divergence. A step that fails (a prefill refused with a 400, a cut, a divergence) moves on to
 * the next step, never ends the walk early; only the deadline or the client leaving does. Every step
 * runs through the same attempt runner as every other attempt (permits, retries, deadline, stats,
 * metrics). When every step has failed, the caller ends the stream with the original error event.
 */
import type { ClientRequest, StreamOutput, StreamProgress, Usage } from '../../../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';
import type { DeploymentRuntime, RouteRuntime } from '../../runtime/types.js';
import { AttemptControl } from '../attempt-control.js';
import { endpointFor } from '../endpoint-choice.js';
import type { Attempt, AttemptRun, AttemptRunner } from '../attempt-runner.js';
import { asAttemptError, consumeStream, sendToUpstream } from '../upstream-call.js';
import type { StreamSink } from '../sink.js';
import { ReplayGate, spliceChunk, type Envelope } from './chunk-splice.js';

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

type Mode = 'prefill' | 'replay';

interface Step {
  readonly deployment: DeploymentRuntime;
  readonly mode: Mode;
}

/**
 * A replay stopped at its first divergence from what the client has. Not an UpstreamError: the
 * deployment did nothing wrong (a sampled answer differs), so it is neither retried nor held against
 * its breaker; the attempt is recorded as stopped by us (`aborted`) and the walk goes on.
 */
export class ReplayDiverged extends Error {
  constructor() {
    super('the restarted answer diverged from what the client already received');
    this.name = 'ReplayDiverged';
  }
}

function deterministic(req: ClientRequest): boolean {
  return req.body.temperature === 0 || Number.isInteger(req.body.seed);
}

/** Every continuation step, in plan order: prefill where the deployment can, then a replay where the route allows. */
function stepsFor(route: RouteRuntime, req: ClientRequest, broken: Broken, candidates: readonly DeploymentRuntime[]): Step[] {
  const replays = route.replay === 'always' || (route.replay === 'deterministic' && deterministic(req));
  const steps: Step[] = [];
  for (const deployment of candidates) {
    if (deployment === broken.failed || !deployment.operations.has('chat')) continue;
    const { adapter } = deployment.provider;
    if (deployment.capabilities.has('prefill') && adapter.buildContinuation?.(req, broken.progress, deployment.target))
      steps.push({ deployment, mode: 'prefill' });
    if (replays) steps.push({ deployment, mode: 'replay' });
  }
  return steps;
}

export async function continueStream(
  runner: AttemptRunner,
  run: AttemptRun,
  request: ClientRequest,
  broken: Broken,
  candidates: readonly DeploymentRuntime[],
  sink: StreamSink,
): Promise<Continued | undefined> {
  // Only a translated (OpenAI-chunk) answer is ever continued: every step speaks OpenAI chunks, even on
  // a deployment that could answer a front door's request natively.
  const req: ClientRequest = request.native === undefined ? request : { ...request, native: undefined };
  const { route, client } = run.ctx;
  const { firstTokenMs, idleMs, totalMs } = route.timeouts;
  // What the client has so far: a step that fails after adding to it leaves the next one less to do.
  let text = broken.progress.text;
  let progress = broken.progress;

  const attemptIn =
    (mode: Mode): Attempt<Omit<Continued, 'attempts'>> =>
    async (d) => {
      const endpoint = endpointFor(d, run.ctx, req);
      const control = new AttemptControl(client, run.deadlineAt, totalMs);
      control.armFirstToken(Math.min(performance.now() + firstTokenMs, run.deadlineAt), firstTokenMs);
      const translator = d.provider.adapter.createStreamTranslator(req, d.target);
      const gate = mode === 'replay' ? new ReplayGate(text, broken.envelope) : undefined;
      const httpReq = mode === 'prefill' ? d.provider.adapter.buildContinuation?.(req, progress, d.target) : undefined;
      if (mode === 'prefill' && !httpReq) throw new UpstreamError(upstreamErrorOf('bad_request', 'the answer can no longer be continued'));
      endpoint.inFlight += 1;
      try {
        const res = await sendToUpstream(d, endpoint, req, control, { headersTimeoutMs: firstTokenMs, bodyTimeoutMs: idleMs }, httpReq);
        let done = false;
        let producing = false;
        const deliver = async (outputs: StreamOutput[]) => {
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
            if (frames === 'diverged') throw new ReplayDiverged();
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
        return { deployment: d, usage: translator.usage };
      } catch (raw) {
        if (raw instanceof ReplayDiverged) throw raw;
        const err = asAttemptError(raw, control.signal);
        if (err instanceof UpstreamError) {
          // What this attempt added is now the client's too: the next one continues from there.
          text += mode === 'prefill' ? translator.progress.text : gate?.passedThrough ? translator.progress.text.slice(text.length) : '';
          progress = { text, contentChunks: progress.contentChunks + translator.progress.contentChunks, continuable: true };
        }
        throw err;
      } finally {
        endpoint.inFlight -= 1;
        control.dispose();
        if (translator.started) d.health.drift.observe(translator.model, d.driftCheck);
      }
    };

  for (const step of stepsFor(route, req, broken, candidates)) {
    if (client.gone || performance.now() >= run.deadlineAt) return undefined;
    try {
      const { value } = await runner.run(run, [step.deployment], attemptIn(step.mode));
      return { ...value, attempts: run.attempts };
    } catch {
      // This step failed (refused, broke, diverged, gave no permit): the next one may still finish
      // the answer. The deadline and a client that left are checked before it.
    }
  }
  return undefined;
}
