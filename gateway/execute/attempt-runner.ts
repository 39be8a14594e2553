/**
 * The loop around attempts, shared by unary and streamed requests. Per candidate: take a breaker
 * permit, attempt, report the outcome to the deployment's health, then decide by the failure's kind
 * alone — retry the same deployment (connection, timeout, server, overloaded: full-jitter backoff,
 * within the retry budget), move on at once (rate_limited: the deployment cools down for Retry-After),
 * move on only to a larger context window (context_length), or stop (client faults).
 */
import { GatewayError, gatewayErrorFromUpstream } from '../errors/catalogue.js';
import { UpstreamError, type UpstreamErrorKind } from '../../adapters/upstream-error.js';
import { ClientGone, DeadlineExceeded, type ClientLink } from './abort-reasons.js';
import { FailureLog } from '../errors/failure-log.js';
import { verdictOf } from '../health/deployment-health.js';
import type { DeploymentRuntime, RouteRuntime } from '../runtime/types.js';
import type { Telemetry } from '../../telemetry/telemetry.js';

export interface LoopContext {
  readonly route: RouteRuntime;
  readonly client: ClientLink;
  readonly receivedAt: number;
  readonly telemetry: Telemetry;
  readonly redact: (text: string) => string;
  readonly random: () => number;
}

/** What an attempt reports besides its value: a failure it handled itself (mid-stream), its first token. */
export interface AttemptReport {
  ttftMs?: number;
  handledFailure?: UpstreamErrorKind | 'aborted';
}

export type Attempt<T> = (deployment: DeploymentRuntime, attempts: number, report: AttemptReport) => Promise<T>;

const sameDeploymentKinds: ReadonlySet<UpstreamErrorKind> = new Set(['connection', 'timeout', 'server', 'overloaded']);
/** Wait assumed when a 429 names no Retry-After. */
const defaultCooldownMs = 1_000;

export function deadlineError(route: RouteRuntime, failures: FailureLog): GatewayError {
  const tried = failures.size > 0 ? ` after ${failures.size} failed attempt(s)` : '';
  return new GatewayError('timeout', `Route '${route.name}' did not answer within its ${route.timeouts.totalMs} ms deadline${tried}.`);
}

/** Waits `ms`, or less if the client leaves. */
function sleep(ms: number, client: ClientLink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stopListening();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const stopListening = client.onLeave(done);
  });
}

export async function runAttempts<T>(
  ctx: LoopContext,
  planned: readonly DeploymentRuntime[],
  attempt: Attempt<T>,
): Promise<{ value: T; deployment: DeploymentRuntime; attempts: number }> {
  const { route, telemetry } = ctx;
  const deadlineAt = ctx.receivedAt + route.timeouts.totalMs;
  const failures = new FailureLog();
  let queue = planned.slice();
  let attempts = 0;
  let previous: DeploymentRuntime | undefined;

  while (queue.length > 0) {
    const deployment = queue.shift()!;
    const health = deployment.health;
    health.countRequest(performance.now());
    for (let retry = 0; ; retry += 1) {
      if (ctx.client.gone) throw new ClientGone();
      const now = performance.now();
      if (deadlineAt - now <= 0) throw deadlineError(route, failures);
      const permit = health.acquire(now);
      if (!permit) break;
      if (previous && previous !== deployment) telemetry.failover(route.name, previous, deployment);
      previous = deployment;
      attempts += 1;
      const report: AttemptReport = {};
      health.stats.inFlight += 1;
      try {
        const value = await attempt(deployment, attempts, report);
        const end = performance.now();
        const outcome = report.handledFailure ?? 'success';
        health.record(permit, verdictOf(outcome), end);
        if (outcome === 'success') health.stats.succeeded(end, report.ttftMs === undefined ? end - now : undefined, report.ttftMs);
        else if (outcome !== 'aborted') health.stats.failed(end, outcome, end - now);
        telemetry.attemptFinished(route.name, deployment, outcome);
        return { value, deployment, attempts };
      } catch (raw) {
        const end = performance.now();
        const kind: UpstreamErrorKind | 'aborted' = raw instanceof UpstreamError ? raw.kind : raw instanceof DeadlineExceeded ? 'timeout' : 'aborted';
        health.record(permit, verdictOf(kind), end);
        if (kind !== 'aborted') health.stats.failed(end, kind, end - now);
        telemetry.attemptFinished(route.name, deployment, kind);
        if (raw instanceof DeadlineExceeded) throw deadlineError(route, failures);
        if (!(raw instanceof UpstreamError)) throw raw;
        if (raw.kind === 'context_length') {
          // Never the same window again: only a deployment with a larger context can help.
          const window = deployment.contextWindow ?? 0;
          queue = queue.filter((d) => d.contextWindow !== undefined && d.contextWindow > window);
          if (queue.length === 0) throw gatewayErrorFromUpstream(raw, deployment.id, ctx.redact);
          failures.add(deployment.id, raw);
          break;
        }
        if (!raw.retryable) throw gatewayErrorFromUpstream(raw, deployment.id, ctx.redact);
        failures.add(deployment.id, raw);
        if (raw.kind === 'rate_limited') {
          health.coolDown(end, raw.retryAfterMs ?? defaultCooldownMs);
          break;
        }
        if (!sameDeploymentKinds.has(raw.kind) || retry >= route.retries.same_deployment) break;
        const backoff = ctx.random() * Math.min(route.retries.max_backoff_ms, route.retries.backoff_ms * 2 ** retry);
        if (end + backoff >= deadlineAt || !health.takeRetry(end, route.retries.budget_percent)) break;
        telemetry.retried(route.name, deployment);
        await sleep(backoff, ctx.client);
      } finally {
        health.stats.inFlight -= 1;
      }
    }
  }
  throw failures.toGatewayError(route.name, ctx.redact);
}
