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
import type { RequestLimits } from '../limits/admission.js';

/** What the runner and its wrappers need to know about the request. */
export interface RequestContext {
  readonly route: RouteRuntime;
  readonly client: ClientLink;
  /** performance.now() when the request arrived; the deadline counts from here. */
  readonly receivedAt: number;
  readonly telemetry: TelemetrySink;
  readonly redact: (text: string) => string;
  readonly random: () => number;
  /** The client's request headers (lower-case names): a GPU pool's session header is read from them. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
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
  /** The request's taken limits (gateway/limits/admission.ts); undefined when nothing limits it. */
  limits: RequestLimits | undefined = undefined;
  /** When the client's stream got its first chunk (performance.now()); undefined until then, and for non-streams. */
  firstTokenAt: number | undefined = undefined;

  constructor(readonly ctx: RequestContext) {
    this.deadlineAt = ctx.receivedAt + ctx.route.timeouts.totalMs;
  }
}

/** A try's place in a hedged race (hedge.ts), as the attempt sees it. */
export interface HedgeLane {
  /** The try's cancel handle (each retry brings a new one); a lane already lost aborts it at once. */
  attach(control: { abort(reason: Error): void }): void;
  /** The try has its first token: true if it won and may open the client's stream, false if it lost. */
  claimFirstToken(): boolean;
  /** The deployment a hedge tried, once the race is decided; undefined when no hedge ran. */
  readonly hedgedWith: string | undefined;
}

/** What one try reports besides its value: a failure it handled itself (mid-stream), its first token. */
export interface AttemptReport {
  ttftMs?: number;
  handledFailure?: UpstreamErrorKind | 'aborted';
  /** The try's place in a hedged race (hedge.ts); absent on routes without `hedge`. */
  hedge?: HedgeLane;
  /** The candidates the runner would try after this one (adaptive-limit.ts moves on only if one can). */
  alternatives?: readonly DeploymentRuntime[];
  /** A successful try's size, for the deployment's speed: prompt work, and output tokens of a whole answer. */
  work?: { prompt: number; outputTokens?: number };
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

/** A deployment whose known window is surely too small for the prompt: logged as skipped, not tried. */
export function skippedTooLong(run: AttemptRun, deployment: DeploymentRuntime): boolean {
  const tooLong = run.promptTokensAtLeast > 0 ? skippedForContext(deployment, run.promptTokensAtLeast) : undefined;
  if (tooLong) run.failures.add(deployment.id, tooLong, false);
  return tooLong !== undefined;
}

/**
 * The runner's decision after a try at `deployment` failed with `err`: the candidates still worth a try
 * (move on), or a thrown error (stop: client faults, deadline, client gone).
 */
export function remainingAfter(
  err: unknown,
  deployment: DeploymentRuntime,
  queue: DeploymentRuntime[],
  run: AttemptRun,
): DeploymentRuntime[] {
  if (err === unavailable) return queue;
  if (!(err instanceof UpstreamError)) throw err;
  const { redact } = run.ctx;
  if (err.kind === 'context_length') {
    // The upstream's own statement of its window is kept on its health (it outlives the request).
    if (err.contextWindow !== undefined) deployment.health.learnContextWindow(err.contextWindow);
    const rest = queue.filter((d) => mayFitAfterContextLength(deployment, d));
    if (rest.length === 0) throw gatewayErrorFromUpstream(err, deployment.id, redact);
    return rest;
  }
  if (!err.retryable) throw gatewayErrorFromUpstream(err, deployment.id, redact);
  return queue;
}

const callAttempt: Try = (deployment, run, attempt, report) => attempt(deployment, run, report);

export interface AttemptRunner {
  /** The wrapper names, outermost first (for the README and tests). */
  readonly chain: readonly string[];
  /** One try at one deployment through the whole chain (hedge.ts runs two of them side by side). */
  readonly tryDeployment: Try;
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
    tryDeployment: composed,
    async run(run, planned, attempt) {
      let queue = planned.slice();
      while (queue.length > 0) {
        const deployment = queue.shift()!;
        if (skippedTooLong(run, deployment)) continue;
        try {
          const value = await composed(deployment, run, attempt, { alternatives: queue });
          return { value, deployment };
        } catch (err) {
          queue = remainingAfter(err, deployment, queue, run);
        }
      }
      throw run.failures.toGatewayError(run.ctx.route.name, run.ctx.redact);
    },
  };
}
