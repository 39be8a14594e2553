/**
 * The one attempt runner. Every attempt of a request — first, retry, failover, stream continuation —
 * goes through it, so each is permitted, counted, timed and classified the same way.
 *
 * The runner walks the planned deployments in order. Each try at a deployment runs through a chain of
 * named wrappers (wrappers/), composed once per Runtime as undici composes interceptors: each is an
 * `options -> (next -> try)` factory that adds one concern around the try inside it. Between
 * deployments the runner decides by the failure's kind alone: move on (after a retryable failure, or a
 * deployment that gave no permit), move on only to a deployment whose window may be larger
 * (context_length, routing/context-window.ts), or stop (client faults, deadline, client gone). A
 * deployment whose known window is surely too small for the prompt is skipped without a call, as a
 * `context_length` failure in the log. When every deployment has failed, the client gets the one most
 * telling error (errors/failure-log.ts).
 */
import { UpstreamError, type UpstreamErrorKind } from '../../adapters/upstream-error.js';
import { gatewayErrorFromUpstream } from '../errors/catalogue.js';
import { FailureLog } from '../errors/failure-log.js';
import type { TelemetrySink } from '../../telemetry/sink.js';
import type { DeploymentRuntime, RouteRuntime } from '../runtime/types.js';
import type { ClientLink } from './client-link.js';
import { DeadlineExceeded } from './abort-reasons.js';
import { mayFitAfterContextLength, skippedForContext } from '../routing/context-window.js';

/** What the runner and its wrappers need to know about the request. */
export interface RequestContext {
  readonly route: RouteRuntime;
  readonly client: ClientLink;
  /** performance.now() when the request arrived; the deadline counts from here. */
  readonly receivedAt: number;
  readonly telemetry: TelemetrySink;
  readonly redact: (text: string) => string;
  readonly random: () => number;
}

/** One request's walk through its plan, shared by every try (and by a stream's continuation). */
export class AttemptRun {
  /** Attempts made so far (tries that got a permit). */
  attempts = 0;
  /** The deployment of the latest attempt: a try elsewhere is a failover. */
  previous: DeploymentRuntime | undefined = undefined;
  /** Tokens the prompt surely has (routing/context-window.ts); 0 when not worth counting: nothing is skipped. */
  promptTokensAtLeast = 0;
  readonly failures = new FailureLog();
  readonly deadlineAt: number;

  constructor(readonly ctx: RequestContext) {
    this.deadlineAt = ctx.receivedAt + ctx.route.timeouts.totalMs;
  }
}

/** What one try reports besides its value: a failure it handled itself (mid-stream), its first token. */
export interface AttemptReport {
  ttftMs?: number;
  handledFailure?: UpstreamErrorKind | 'aborted';
}

/** The work of one try at one deployment (the upstream call), written by the executor. */
export type Attempt<T> = (deployment: DeploymentRuntime, run: AttemptRun, report: AttemptReport) => Promise<T>;

/** One try at a deployment, as the wrappers see it. */
export type Try = <T>(deployment: DeploymentRuntime, run: AttemptRun, attempt: Attempt<T>, report: AttemptReport) => Promise<T>;

/** One concern around a try. `stage` fixes its place in the chain (outermost first). */
export interface AttemptWrapper {
  readonly name: string;
  readonly stage: number;
  wrap(next: Try): Try;
}

/** A deployment that cannot take a try now (breaker open, cooling down, drained): the runner moves on. */
export class DeploymentUnavailable extends Error {
  constructor() {
    super('the deployment gives no permit now');
    this.name = 'DeploymentUnavailable';
  }
}

/** Thrown often (every skipped deployment), so built once: no stack capture per throw. */
export const unavailable = new DeploymentUnavailable();

/** Every failure kind an attempt can end in, as metrics and health record it. */
export function outcomeOf(err: unknown): UpstreamErrorKind | 'aborted' {
  if (err instanceof UpstreamError) return err.kind;
  return err instanceof DeadlineExceeded ? 'timeout' : 'aborted';
}

const callAttempt: Try = (deployment, run, attempt, report) => attempt(deployment, run, report);

export interface AttemptRunner {
  /** The wrapper names, outermost first (for the README and tests). */
  readonly chain: readonly string[];
  run<T>(run: AttemptRun, planned: readonly DeploymentRuntime[], attempt: Attempt<T>): Promise<{ value: T; deployment: DeploymentRuntime }>;
}

/** Composes the wrappers once; refuses a chain whose order breaks their stages or repeats one. */
export function createAttemptRunner(wrappers: readonly AttemptWrapper[]): AttemptRunner {
  for (let i = 1; i < wrappers.length; i += 1) {
    const [outer, inner] = [wrappers[i - 1]!, wrappers[i]!];
    if (outer.stage >= inner.stage) {
      throw new Error(
        `attempt wrappers out of order: '${outer.name}' (stage ${outer.stage}) must come after '${inner.name}' (stage ${inner.stage})`,
      );
    }
  }
  let tryDeployment = callAttempt;
  for (let i = wrappers.length - 1; i >= 0; i -= 1) tryDeployment = wrappers[i]!.wrap(tryDeployment);
  const composed = tryDeployment;

  return {
    chain: wrappers.map((w) => w.name),
    async run(run, planned, attempt) {
      const { route, redact } = run.ctx;
      let queue = planned.slice();
      while (queue.length > 0) {
        const deployment = queue.shift()!;
        const tooLong = run.promptTokensAtLeast > 0 ? skippedForContext(deployment, run.promptTokensAtLeast) : undefined;
        if (tooLong) {
          run.failures.add(deployment.id, tooLong, false);
          continue;
        }
        try {
          const value = await composed(deployment, run, attempt, {});
          return { value, deployment };
        } catch (err) {
          if (err === unavailable) continue;
          if (!(err instanceof UpstreamError)) throw err;
          if (err.kind === 'context_length') {
            // The upstream's own statement of its window is kept on its health (it outlives the request).
            if (err.contextWindow !== undefined) deployment.health.learnedContextWindow = err.contextWindow;
            queue = queue.filter((d) => mayFitAfterContextLength(deployment, d));
            if (queue.length === 0) throw gatewayErrorFromUpstream(err, deployment.id, redact);
            continue;
          }
          if (!err.retryable) throw gatewayErrorFromUpstream(err, deployment.id, redact);
        }
      }
      throw run.failures.toGatewayError(route.name, redact);
    },
  };
}
