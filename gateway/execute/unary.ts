/**
 * A non-stream answer: the runner tries deployments until one answers in full. Routes with
 * `stream_upstream: true` send chat and completions upstream as streams instead and assemble the
 * answer (see executeUnaryAsStream), so every stream protection applies to them too.
 */
import { speaksNative, type ClientRequest } from '../../adapters/types.js';
import type { DeploymentRuntime } from '../runtime/types.js';
import { ClientGone } from './abort-reasons.js';
import { AttemptControl } from './attempt-control.js';
import { endpointFor } from './endpoint-choice.js';
import { armAdaptiveLimit, promptWork } from './adaptive-limit.js';
import type { AttemptRun, AttemptRunner } from './attempt-runner.js';
import { asAttemptError, readBody, sendToUpstream } from './upstream-call.js';
import { ChunkAggregator } from './chunk-aggregate.js';
import { executeStream } from './stream.js';
import type { StreamSink, UnaryAnswer } from './sink.js';

/** How much later than the gateway's own timers undici's headers timeout fires. */
const backstopMarginMs = 250;

export async function executeUnary(
  runner: AttemptRunner,
  run: AttemptRun,
  req: ClientRequest,
  candidates: readonly DeploymentRuntime[],
): Promise<UnaryAnswer> {
  const { ctx } = run;
  // Not a front door's request: it may be answered natively, which the OpenAI chunk aggregator cannot assemble.
  const streamable = req.operation === 'chat' || req.operation === 'completions';
  if (ctx.route.streamUpstream && streamable && req.native === undefined) return executeUnaryAsStream(runner, run, req, candidates);
  const { totalMs, idleMs, perTryMs } = ctx.route.timeouts;
  const { value, deployment } = await runner.run(run, candidates, async (d, _run, report) => {
    const endpoint = endpointFor(d, ctx, req);
    const control = new AttemptControl(ctx.client, run.deadlineAt, totalMs);
    // Non-stream upstreams send headers only when the whole answer is ready: the deadline bounds them,
    // the per-try limit, when the route sets one, ends this attempt sooner so the next one can run, and
    // so does the adaptive limit when the attempt takes far longer than this deployment usually does.
    const now = performance.now();
    const tryEndsAt = perTryMs === undefined ? run.deadlineAt : Math.min(now + perTryMs, run.deadlineAt);
    if (perTryMs !== undefined && tryEndsAt < run.deadlineAt) control.armTryLimit(tryEndsAt, perTryMs);
    armAdaptiveLimit({ control, deployment: d, route: ctx.route, req, alternatives: report.alternatives, startedAt: now, until: 'answer' });
    endpoint.inFlight += 1;
    try {
      const res = await sendToUpstream(d, endpoint, req, control, {
        // A backstop only: the deadline's and the try limit's own timers end the try first (by a
        // margin, so that a loaded event loop cannot let undici's timeout win the race and name a
        // deadline as the upstream's timeout).
        headersTimeoutMs: Math.max(1, Math.ceil(tryEndsAt - now)) + backstopMarginMs,
        bodyTimeoutMs: idleMs,
      });
      const body = await readBody(res.body, control.signal);
      const answer = d.provider.adapter.translateResponse(req, body, d.target);
      d.health.drift.observe(answer.model, d.driftCheck);
      report.work = { prompt: promptWork(req), outputTokens: answer.usage?.completionTokens ?? 0 };
      return answer;
    } catch (raw) {
      throw asAttemptError(raw, control.signal);
    } finally {
      endpoint.inFlight -= 1;
      control.dispose();
    }
  });
  return {
    body: value.body,
    deployment,
    attempts: run.attempts,
    usage: value.usage,
    native: speaksNative(deployment.provider.adapter, req),
  };
}

/**
 * A non-stream request answered from an upstream stream: first-token and idle timeouts, failover
 * before the first chunk, and continuation of an answer broken mid-way all apply, and since nothing
 * reaches the client before the answer is complete, any failure that remains is a normal HTTP error.
 */
async function executeUnaryAsStream(
  runner: AttemptRunner,
  run: AttemptRun,
  req: ClientRequest,
  candidates: readonly DeploymentRuntime[],
): Promise<UnaryAnswer> {
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
  const outcome = await executeStream(runner, run, streamed, candidates, sink);
  if (outcome.kind === 'client_gone') throw new ClientGone();
  if (outcome.kind === 'failed') throw outcome.error;
  return { body: aggregator.result(), deployment: outcome.deployment, attempts: outcome.attempts, usage: outcome.usage, native: false };
}
