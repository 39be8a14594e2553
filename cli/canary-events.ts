/** What a gateway process does when a canary changes: metrics (telemetry) and log lines. */
import type { Logger } from 'pino';
import type { CanaryEvents } from '../gateway/canary/board.js';
import { windowStats } from '../gateway/canary/report.js';
import type { TelemetrySink } from '../telemetry/sink.js';

/** A store that keeps failing is logged once a minute per rollout, not every tick. */
const storeLogEveryMs = 60_000;

/**
 * `resetHealth`: a restarted canary's deployments start with a closed breaker and no ejection, on every
 * replica (each applies the restart it reads from Redis): the failures that rolled it back were judged
 * already, and a breaker left open would fail the canary's share over to stable and roll it back again
 * before it had one request.
 */
export function canaryEvents(
  telemetry: TelemetrySink,
  logger: Logger,
  resetHealth: (deploymentIds: Iterable<string>) => void,
): CanaryEvents {
  const storeLoggedAt = new Map<string, number>();
  return {
    changed(control, previous) {
      const { route } = control.plan;
      const s = control.state;
      telemetry.canaryChanged(route, s.status, s.percent);
      const line = { route, from: previous.status, to: s.status, percent: s.percent, step: s.step, reason: s.reason, by: s.by };
      if (s.status === 'rolled_back' || s.status === 'gate_failed') logger.warn(line, `canary ${s.status.replace('_', ' ')}`);
      else logger.info(line, 'canary changed');
    },
    restarted(control) {
      resetHealth(control.plan.canaryTargets);
    },
    rolledBack(control, cause) {
      telemetry.canaryRolledBack(control.plan.route, cause);
    },
    evaluated(control, _verdict, windows) {
      telemetry.canaryWindow(control.plan.route, 'stable', windowStats(windows.stable));
      telemetry.canaryWindow(control.plan.route, 'canary', windowStats(windows.canary));
    },
    storeFailed(control, error) {
      const now = Date.now();
      if (now - (storeLoggedAt.get(control.plan.key) ?? 0) < storeLogEveryMs) return;
      storeLoggedAt.set(control.plan.key, now);
      logger.warn(
        { route: control.plan.route, err: error.message },
        'canary state store unavailable: this replica keeps its last known state',
      );
    },
  };
}
