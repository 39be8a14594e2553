/**
 * The request's deadline (`timeouts.total_ms`, across all attempts) and the client's presence, checked
 * before every try; a try cut by the deadline ends the request with a 504 that says how far it got.
 */
import { GatewayError } from '../../errors/catalogue.js';
import { ClientGone, DeadlineExceeded } from '../abort-reasons.js';
import type { AttemptRun, AttemptWrapper } from '../attempt-runner.js';

/** The 504 of a request whose deadline passed; its attempt count is the one the log and headers show. */
export function deadlineError(run: AttemptRun): GatewayError {
  const { route } = run.ctx;
  const tried = run.attempts > 0 ? ` after ${run.attempts} attempt${run.attempts === 1 ? '' : 's'}` : '';
  return new GatewayError('timeout', `Route '${route.name}' did not answer within its ${route.timeouts.totalMs} ms deadline${tried}.`);
}

export function deadline(): AttemptWrapper {
  return {
    name: 'deadline',
    stage: 20,
    wrap: (next) => async (deployment, run, attempt, report) => {
      if (run.ctx.client.gone) throw new ClientGone();
      if (run.deadlineAt - performance.now() <= 0) throw deadlineError(run);
      try {
        return await next(deployment, run, attempt, report);
      } catch (err) {
        if (err instanceof DeadlineExceeded) throw deadlineError(run);
        throw err;
      }
    },
  };
}
