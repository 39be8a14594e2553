/**
 * The deployment's permission for one try — circuit breaker (half-open lets one trial through),
 * rate-limit cooldown, operator drain, the operator's connection cap (`max_connections`) — and the
 * try's verdict back to the breaker and to outlier ejection. No permit: the runner moves on without
 * counting an attempt or blaming the upstream.
 */
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';
import { verdictOf } from '../../health/deployment-health.js';
import { outcomeOf, unavailable, type AttemptWrapper } from '../attempt-runner.js';

export function breakerPermit(): AttemptWrapper {
  return {
    name: 'breaker-permit',
    stage: 40,
    wrap: (next) => async (deployment, run, attempt, report) => {
      const { health } = deployment;
      // At the operator's own connection cap: no permit, and no failure of the upstream (it was not asked).
      if (deployment.provider.pool.saturated) {
        const cap = deployment.provider.pool.connectionCap;
        const message = `the gateway's own connection cap is reached (max_connections: ${cap}, all in use); the upstream was not asked`;
        run.failures.add(deployment.id, new UpstreamError(upstreamErrorOf('overloaded', message)));
        throw unavailable;
      }
      const permit = health.acquire(performance.now());
      if (!permit) throw unavailable;
      try {
        const value = await next(deployment, run, attempt, report);
        health.record(permit, verdictOf(report.handledFailure ?? 'success'), performance.now());
        return value;
      } catch (err) {
        health.record(permit, verdictOf(outcomeOf(err)), performance.now());
        throw err;
      }
    },
  };
}
