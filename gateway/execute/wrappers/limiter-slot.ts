/**
 * The upstream limiter's slot (stage 50), for deployments with their own limits or shaping:
 * - `deployments.<id>.limits` (the provider's quota, shared across replicas): a try first takes them,
 *   unless admission already did for this request. At quota the deployment gives no permit: the runner
 *   moves on, and the failure log keeps a `rate_limited` entry with its reset, so a request whose every
 *   candidate is at quota gets a 429 with the soonest one.
 * - `deployments.<id>.shaping` (this replica's bottleneck): a try waits for a slot within max_wait_ms,
 *   or moves on at once (queue full, or no slot in time), logged as `overloaded` by the gateway's own
 *   shaping; the slot is held until the try ends (a stream's whole answer).
 * Only in the chain when some deployment has either.
 */
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';
import type { DeploymentRuntime } from '../../runtime/types.js';
import { unavailable, type AttemptRun, type AttemptWrapper } from '../attempt-runner.js';

async function takeQuota(deployment: DeploymentRuntime, run: AttemptRun): Promise<void> {
  const limits = run.limits;
  if (limits === undefined || deployment.limits === undefined || limits.taken.has(deployment)) return;
  const refusal = await limits.takeDeployment(deployment);
  if (refusal === undefined) return;
  const retryAfterMs = Number.isFinite(refusal.retryAfterMs) ? refusal.retryAfterMs : undefined;
  const error = upstreamErrorOf('rate_limited', `deployment '${deployment.id}' is at its configured quota (${refusal.subject})`, {
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
  run.failures.add(deployment.id, new UpstreamError(error));
  throw unavailable;
}

export function limiterSlot(): AttemptWrapper {
  return {
    name: 'limiter-slot',
    stage: 50,
    wrap: (next) => async (deployment, run, attempt, report) => {
      await takeQuota(deployment, run);
      const shaper = deployment.shaper;
      if (shaper === undefined) return next(deployment, run, attempt, report);
      const release = await shaper.acquire();
      if (release === undefined) {
        const { maxConcurrent, maxWaitMs } = shaper.settings;
        const message = `the gateway's own shaping of this deployment (max_concurrent: ${maxConcurrent ?? 'none'}) gave no slot within ${maxWaitMs} ms; the upstream was not asked`;
        run.failures.add(deployment.id, new UpstreamError(upstreamErrorOf('overloaded', message)));
        throw unavailable;
      }
      try {
        return await next(deployment, run, attempt, report);
      } finally {
        release();
      }
    },
  };
}
