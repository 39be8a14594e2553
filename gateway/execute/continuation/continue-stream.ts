/**
 * Finishing a stream that broke after bytes reached the client, so the client still gets one complete
 * answer. On a deployment that declares `prefill` and whose adapter can continue an assistant message,
 * the partial answer is sent as a prefix and only the continuation streams on. Elsewhere, a
 * deterministic request (temperature 0, or a seed) is restarted and held back until it has reproduced
 * what the client already has; if it says something else it is stopped. Continuation attempts run
 * through the same attempt runner as every other attempt (permits, retries, deadline, stats, metrics).
 * Nothing fits or every one fails: the caller ends the stream with the original error event.
 */
import type { ClientRequest, StreamOutput, StreamProgress, Usage } from '../../../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';
import type { DeploymentRuntime } from '../../runtime/types.js';
import { AttemptControl } from '../attempt-control.js';
import type { AttemptRun, AttemptRunner } from '../attempt-runner.js';
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

function deterministic(req: ClientRequest): boolean {
  return req.body.temperature === 0 || Number.isInteger(req.body.seed);
}

function modeFor(d: DeploymentRuntime, req: ClientRequest, progress: StreamProgress): Mode | undefined {
  if (d.capabilities.has('prefill') && d.provider.adapter.buildContinuation?.(req, progress, d.target)) return 'prefill';
  return deterministic(req) ? 'replay' : undefined;
}

export async function continueStream(
  runner: AttemptRunner,
  run: AttemptRun,
  req: ClientRequest,
  broken: Broken,
  candidates: readonly DeploymentRuntime[],
  sink: StreamSink,
): Promise<Continued | undefined> {
  const { route, client } = run.ctx;
  const { firstTokenMs, idleMs, totalMs } = route.timeouts;
  const modes = new Map<DeploymentRuntime, Mode>();
  for (const d of candidates) {
    const mode = d === broken.failed || !d.operations.has('chat') ? undefined : modeFor(d, req, broken.progress);
    if (mode) modes.set(d, mode);
  }
  if (modes.size === 0 || client.gone) return undefined;
  let text = broken.progress.text;
  let progress = broken.progress;

  try {
    const { value } = await runner.run(run, [...modes.keys()], async (d) => {
      const mode = modes.get(d)!;
      const endpoint = d.provider.pool.pick(run.ctx.random);
      const control = new AttemptControl(client, run.deadlineAt, totalMs);
      control.armFirstToken(Math.min(performance.now() + firstTokenMs, run.deadlineAt), firstTokenMs);
      const translator = d.provider.adapter.createStreamTranslator(req, d.target);
      const gate = mode === 'replay' ? new ReplayGate(text, broken.envelope) : undefined;
      const httpReq = mode === 'prefill' ? d.provider.adapter.buildContinuation!(req, progress, d.target) : undefined;
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
            if (frames === 'diverged')
              throw new UpstreamError(upstreamErrorOf('server', 'the restarted answer diverged from what the client already received'));
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
      }
    });
    return { ...value, attempts: run.attempts };
  } catch {
    // Every continuation failed, the deadline passed or the client left: the caller ends the stream.
    return undefined;
  }
}
