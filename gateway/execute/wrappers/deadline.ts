/**
 * The request's deadline (`timeouts.total_ms`, across all attempts) and the client's presence, checked
 * before every try; a try cut by the deadline ends the request with a 504 that says how far it got.
 */
import { GatewayError } from '../../errors/catalogue.js';
import type { FailureLog } from '../../errors/failure-log.js';
import type { RouteRuntime } from '../../runtime/types.js';
import { ClientGone, DeadlineExceeded } from '../abort-reasons.js';
import type { AttemptWrapper } from '../attempt-runner.js';

export function deadlineError(route: RouteRuntime, failures: FailureLog): GatewayError {
  const tried = failures.size > 0 ? ` after ${failures.size} failed attempt(s)` : '';
  return new GatewayError('timeout', `Route '${route.name}' did not answer within its ${route.timeouts.totalMs} ms deadline${tried}.`);
}

export function deadline(): AttemptWrapper {
  return {
    name: 'deadline',
    stage: 20,
    wrap: (next) => async (deployment, run, attempt, report) => {
      if (run.ctx.client.gone) throw new ClientGone();
      if (run.deadlineAt - performance.now() <= 0) throw deadlineError(run.ctx.route, run.failures);
      try {
        return await next(deployment, run, attempt, report);
      } catch (err) {
        if (err instanceof DeadlineExceeded) throw deadlineError(run.ctx.route, run.failures);
        throw err;
      }
    },
  };
}
