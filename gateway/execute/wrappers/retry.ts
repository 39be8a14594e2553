/**
 * Retries on the same deployment after a transient failure (connection, timeout, server, overloaded):
 * up to the route's `retries.same_deployment`, with full-jitter exponential backoff, never past the
 * deadline, and within the deployment's retry budget (`budget_percent` of its recent requests), so a
 * struggling upstream is not hit by a retry storm. Anything else goes back to the runner at once.
 */
import { UpstreamError, type UpstreamErrorKind } from '../../../adapters/upstream-error.js';
import type { ClientLink } from '../client-link.js';
import type { AttemptWrapper } from '../attempt-runner.js';

export interface RetryOptions {
  /** Failure kinds worth another try on the same deployment. */
  sameDeploymentKinds: ReadonlySet<UpstreamErrorKind>;
}

export const transientKinds: ReadonlySet<UpstreamErrorKind> = new Set(['connection', 'timeout', 'server', 'overloaded']);

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
      const { route, client, random, telemetry } = run.ctx;
      const { health } = deployment;
      health.countRequest(performance.now());
      for (let retried = 0; ; retried += 1) {
        try {
          return await next(deployment, run, attempt, retried === 0 ? report : {});
        } catch (err) {
          if (!(err instanceof UpstreamError) || !err.retryable || !sameDeploymentKinds.has(err.kind)) throw err;
          if (retried >= route.retries.same_deployment) throw err;
          const end = performance.now();
          const backoff = random() * Math.min(route.retries.max_backoff_ms, route.retries.backoff_ms * 2 ** retried);
          if (end + backoff >= run.deadlineAt || !health.takeRetry(end, route.retries.budget_percent)) throw err;
          telemetry.retried(route.name, deployment);
          await sleep(backoff, client);
        }
      }
    },
  };
}
