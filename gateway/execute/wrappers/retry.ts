/**
 * Retries on the same deployment after a transient failure (connection, server, overloaded; a timeout
 * only with `retries.on_timeout`, since a silent upstream is likely still stuck): up to the route's
 * `retries.same_deployment`, with full-jitter exponential backoff, never past the deadline, and within
 * the deployment's retry budget (`budget_percent` of its recent requests), so a struggling upstream is
 * not hit by a retry storm. A 429 whose Retry-After is within `retries.max_retry_after_wait_ms` is
 * waited out the same way. Anything else goes back to the runner at once.
 */
import { UpstreamError, type UpstreamErrorKind } from '../../../adapters/upstream-error.js';
import type { ClientLink } from '../client-link.js';
import type { AttemptRun, AttemptWrapper } from '../attempt-runner.js';

export interface RetryOptions {
  /** Failure kinds worth another try on the same deployment (timeouts: per route, `retries.on_timeout`). */
  sameDeploymentKinds: ReadonlySet<UpstreamErrorKind>;
}

export const transientKinds: ReadonlySet<UpstreamErrorKind> = new Set(['connection', 'server', 'overloaded']);

/** How long to wait before trying the same deployment again, or undefined to move on. */
function retryDelay(err: UpstreamError, retried: number, run: AttemptRun, kinds: ReadonlySet<UpstreamErrorKind>): number | undefined {
  const { retries } = run.ctx.route;
  if (!err.retryable || retried >= retries.same_deployment) return undefined;
  if (err.kind === 'rate_limited') {
    const wait = err.retryAfterMs;
    // A little past the Retry-After: timers fire on whole milliseconds, and the cooldown ends at it.
    return wait !== undefined && wait <= retries.max_retry_after_wait_ms ? wait + 2 : undefined;
  }
  if (!kinds.has(err.kind) && !(err.kind === 'timeout' && retries.on_timeout)) return undefined;
  return run.ctx.random() * Math.min(retries.max_backoff_ms, retries.backoff_ms * 2 ** retried);
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

export function retry(options: RetryOptions = { sameDeploymentKinds: transientKinds }): AttemptWrapper {
  const { sameDeploymentKinds } = options;
  return {
    name: 'retry',
    stage: 10,
    wrap: (next) => async (deployment, run, attempt, report) => {
      const { route, client, telemetry } = run.ctx;
      const { health } = deployment;
      health.countRequest(performance.now());
      for (let retried = 0; ; retried += 1) {
        try {
          return await next(deployment, run, attempt, retried === 0 ? report : { hedge: report.hedge });
        } catch (err) {
          if (!(err instanceof UpstreamError)) throw err;
          const delay = retryDelay(err, retried, run, sameDeploymentKinds);
          if (delay === undefined) throw err;
          const end = performance.now();
          if (end + delay >= run.deadlineAt || !health.takeRetry(end, route.retries.budget_percent)) throw err;
          telemetry.retried(route.name, deployment);
          await sleep(delay, client);
        }
      }
    },
  };
}
