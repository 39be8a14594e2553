/**
 * A rollout as /admin/canaries shows it, and as metrics sum it up: status and share, the ramp step and
 * how long it has held, the guard's settings and its last verdict, each variant's window, the gate's
 * last result, and the last transitions this replica saw.
 */
import type { CanaryWindowStats } from '../../telemetry/sink.js';
import type { CanaryControl } from './control.js';
import type { WindowSummary } from './window.js';

const round = (value: number, places = 3): number => Math.round(value * 10 ** places) / 10 ** places;

/** The numbers of one variant's window (undefined: nothing to measure it on). */
export function windowStats(w: WindowSummary): CanaryWindowStats & { requests: number } {
  return {
    requests: w.requests,
    errorRate: w.requests === 0 ? undefined : w.failures / w.requests,
    latencyP95Ms: w.latency.count === 0 ? undefined : w.latency.quantile(0.95),
    ttftP95Ms: w.ttft.count === 0 ? undefined : w.ttft.quantile(0.95),
    costPerRequestUsd: w.cost.n === 0 ? undefined : w.cost.sum / w.cost.n,
  };
}

function windowJson(w: WindowSummary) {
  const s = windowStats(w);
  const ms = (v: number | undefined) => (v === undefined ? null : round(v, 1));
  return {
    requests: s.requests,
    error_rate: s.errorRate === undefined ? null : round(s.errorRate, 4),
    p95_ttft_ms: ms(s.ttftP95Ms),
    p95_latency_ms: ms(s.latencyP95Ms),
    cost_per_request_usd: s.costPerRequestUsd === undefined ? null : round(s.costPerRequestUsd, 8),
  };
}

export function canaryReport(control: CanaryControl, now: number, monotonic: number) {
  const { plan, state } = control;
  const step = plan.ramp && state.step >= 0 ? plan.ramp[state.step] : undefined;
  const guard = plan.guard;
  const verdict = control.lastVerdict;
  return {
    route: plan.route,
    rollout: plan.key,
    canary_targets: [...plan.canaryTargets],
    stable_targets: [...plan.stableTargets],
    status: state.status,
    percent: state.percent,
    since: new Date(state.since).toISOString(),
    reason: state.reason ?? null,
    cause: state.cause ?? null,
    shared: control.sharedState,
    ramp:
      plan.ramp === undefined
        ? null
        : {
            steps: plan.ramp.map((s) => ({ percent: s.percent, hold_ms: s.holdMs })),
            step: state.step,
            held_ms: step === undefined ? null : Math.max(0, now - state.since),
          },
    guard:
      guard === undefined
        ? null
        : {
            window_ms: guard.windowMs,
            interval_ms: guard.intervalMs,
            min_requests: guard.minRequests,
            alpha: guard.alpha,
            max_error_rate_increase: guard.maxErrorRateIncrease ?? null,
            max_ttft_p95_ratio: guard.maxTtftP95Ratio ?? null,
            max_latency_p95_ratio: guard.maxLatencyP95Ratio ?? null,
            max_cost_ratio: guard.maxCostRatio ?? null,
            last:
              verdict === undefined
                ? null
                : {
                    at: new Date(verdict.at).toISOString(),
                    verdict: verdict.verdict.kind,
                    ...(verdict.verdict.kind === 'insufficient'
                      ? { needed: verdict.verdict.needed, stable: verdict.verdict.stable, canary: verdict.verdict.canary }
                      : { checks: verdict.verdict.checks.map((c) => ({ ...c, pValue: undefined, p_value: c.pValue })) }),
                  },
          },
    window:
      control.windows === undefined
        ? null
        : { stable: windowJson(control.windows.stable.summary(monotonic)), canary: windowJson(control.windows.canary.summary(monotonic)) },
    gate:
      plan.gate === undefined
        ? null
        : {
            suite: plan.gate,
            last: control.lastGate
              ? { at: new Date(control.lastGate.at).toISOString(), passed: control.lastGate.passed, summary: control.lastGate.summary }
              : null,
          },
    history: control.history.map((t) => ({ ...t, at: new Date(t.at).toISOString(), reason: t.reason ?? null })),
  };
}
