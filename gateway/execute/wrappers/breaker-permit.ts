/**
 * The deployment's permission for one try — circuit breaker (half-open lets one trial through),
 * rate-limit cooldown, operator drain — and the try's verdict back to the breaker and to outlier
 * ejection. No permit: the runner moves on without counting an attempt.
 */
import { verdictOf } from '../../health/deployment-health.js';
import { outcomeOf, unavailable, type AttemptWrapper } from '../attempt-runner.js';

export function breakerPermit(): AttemptWrapper {
  return {
    name: 'breaker-permit',
    stage: 40,
    wrap: (next) => async (deployment, run, attempt, report) => {
      const { health } = deployment;
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
