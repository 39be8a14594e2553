/**
 * Counts and times every attempt the same way: the attempt number, a failover when the deployment
 * changed, in-flight counts, latency and time-to-first-token stats for the strategies, a successful
 * try's speed for its size (the adaptive per-try limit, ../adaptive-limit.ts), the attempt's
 * outcome for metrics, and each failure for the request's failure log.
 */
import { UpstreamError } from '../../../adapters/upstream-error.js';
import { outcomeOf, type AttemptWrapper } from '../attempt-runner.js';

export function measure(): AttemptWrapper {
  return {
    name: 'measure',
    stage: 60,
    wrap: (next) => async (deployment, run, attempt, report) => {
      const { route, telemetry } = run.ctx;
      const { stats } = deployment.health;
      if (run.previous !== undefined && run.previous !== deployment) telemetry.failover(route.name, run.previous, deployment);
      run.previous = deployment;
      run.attempts += 1;
      const startedAt = performance.now();
      stats.inFlight += 1;
      try {
        const value = await next(deployment, run, attempt, report);
        const end = performance.now();
        const outcome = report.handledFailure ?? 'success';
        if (outcome === 'success') {
          stats.succeeded(end, report.ttftMs === undefined ? end - startedAt : undefined, report.ttftMs);
          const { work } = report;
          if (work !== undefined && report.ttftMs !== undefined) stats.observeSpeed(end, report.ttftMs, work.prompt, true, undefined);
          else if (work?.outputTokens !== undefined) {
            stats.observeSpeed(end, end - startedAt, work.prompt + work.outputTokens, false, work.outputTokens);
          }
        } else if (outcome !== 'aborted') {
          stats.failed(end, outcome, end - startedAt);
          run.failures.addHandled(deployment.id, outcome);
        }
        telemetry.attemptFinished(route.name, deployment, outcome);
        return value;
      } catch (err) {
        const end = performance.now();
        const outcome = outcomeOf(err);
        if (outcome !== 'aborted') stats.failed(end, outcome, end - startedAt);
        telemetry.attemptFinished(route.name, deployment, outcome);
        if (err instanceof UpstreamError) run.failures.add(deployment.id, err);
        throw err;
      } finally {
        stats.inFlight -= 1;
      }
    },
  };
}
