/**
 * A 429 takes the deployment out of plans and attempts until its Retry-After has passed (the
 * deployment's quota, not its health: the breaker stays neutral), and the runner moves on at once.
 */
import { UpstreamError } from '../../../adapters/upstream-error.js';
import type { AttemptWrapper } from '../attempt-runner.js';

export interface CooldownOptions {
  /** Wait assumed when a 429 names no Retry-After. */
  defaultMs: number;
}

export function cooldown(options: CooldownOptions = { defaultMs: 1_000 }): AttemptWrapper {
  return {
    name: 'cooldown',
    stage: 30,
    wrap: (next) => async (deployment, run, attempt, report) => {
      try {
        return await next(deployment, run, attempt, report);
      } catch (err) {
        if (err instanceof UpstreamError && err.kind === 'rate_limited') {
          deployment.health.coolDown(performance.now(), err.retryAfterMs ?? options.defaultMs);
        }
        throw err;
      }
    },
  };
}
