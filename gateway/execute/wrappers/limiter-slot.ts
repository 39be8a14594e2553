/**
 * The upstream limiter's slot (stage 50): a try at a deployment with its own limits (the provider's
 * quota, `deployments.<id>.limits`) first takes them, unless admission already did for this request. A
 * deployment at quota gives no permit: the runner moves on, and the failure log keeps a `rate_limited`
 * entry with its reset, so a request whose every candidate is at quota gets a 429 with the soonest one.
 * Only in the chain when some deployment has limits.
 */
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';
import { unavailable, type AttemptWrapper } from '../attempt-runner.js';

export function limiterSlot(): AttemptWrapper {
  return {
    name: 'limiter-slot',
    stage: 50,
    wrap: (next) => async (deployment, run, attempt, report) => {
      const limits = run.limits;
      if (limits === undefined || deployment.limits === undefined || limits.taken.has(deployment)) {
        return next(deployment, run, attempt, report);
      }
      const refusal = await limits.takeDeployment(deployment);
      if (refusal !== undefined) {
        const retryAfterMs = Number.isFinite(refusal.retryAfterMs) ? refusal.retryAfterMs : undefined;
        const error = upstreamErrorOf('rate_limited', `deployment '${deployment.id}' is at its configured quota (${refusal.subject})`, {
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
        run.failures.add(deployment.id, new UpstreamError(error));
        throw unavailable;
      }
      return next(deployment, run, attempt, report);
    },
  };
}
