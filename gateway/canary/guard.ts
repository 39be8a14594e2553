/**
 * The canary guard's judgement: given both variants' windows (window.ts), has the canary regressed? Each
 * configured metric is a one-sided test of H0 "the canary is worse than stable by at most the configured
 * margin"; a metric regresses when its p-value is below `alpha` AND the observed canary value is beyond
 * the limit. Nothing is judged until both variants have `minRequests` requests.
 *
 * - Error rate, H0: p_c − p_s ≤ δ. Wald z with the Agresti–Caffo adjustment (one success and one failure
 *   added to each group, so 0/n and n/n have a variance): z = ((p̃_c − p̃_s) − δ) / √(p̃_c(1 − p̃_c)/(n_c + 2)
 *   + p̃_s(1 − p̃_s)/(n_s + 2)), p = 1 − Φ(z). Limit: stable's raw rate + δ.
 * - p95 TTFT and p95 latency, distribution-free. T = ratio × stable's p95; under H0 (the canary's p95 is at
 *   most T) a canary sample exceeds T with probability ≤ 0.05, so with k of n_c samples above T,
 *   p = P(Binomial(n_c, 0.05) ≥ k), exact. Skipped while either side has fewer than `minRequests` samples.
 * - Cost per request, H0: μ_c ≤ r·μ_s. Welch z = (m_c − r·m_s) / √(v_c/n_c + r²·v_s/n_s), p = 1 − Φ(z);
 *   with no variance at all there is no noise to guard against: regressed iff m_c > r·m_s (p = 0, else 1).
 *   Skipped while either side has fewer than `minRequests` priced requests.
 *
 * False alarms: when the canary sits exactly at its limit, each comparison says "regressed" in one
 * evaluation with probability at most alpha: exactly so for the p95 tests (given the stable window that
 * sets T, up to the histogram's bin resolution), asymptotically for the two z tests (at small rates and
 * counts the Agresti–Caffo z is conservative, its variance growing with the canary's failures). When the
 * canary is as good as stable, it is far less: the margin's distance, in standard errors, adds to the 3.1
 * (for alpha = 0.001) the test already needs. By the union bound a verdict is a false 'regressed' with
 * probability at most 4·alpha per evaluation. Over an hour that sums to at most evaluations × 4·alpha,
 * and in practice far less: evaluations every few seconds over overlapping windows are strongly
 * correlated. guard.test.ts measures both cases on 20 000 seeded evaluations at 100 canary requests.
 */
import { binomialUpperTail, normalUpperTail } from './statistics.js';
import type { CostSums, LatencyHistogram, WindowSummary } from './window.js';

export interface GuardSettings {
  /** Requests each variant needs in the window before anything is judged (also per latency or cost metric). */
  minRequests: number;
  /** False-alarm probability per comparison per evaluation, e.g. 0.001. */
  alpha: number;
  /** Absolute, 0..1 (0.02 = 2 points); undefined: not checked. */
  maxErrorRateIncrease: number | undefined;
  /** Canary p95 TTFT over stable's, e.g. 1.5; undefined: not checked. */
  maxTtftP95Ratio: number | undefined;
  maxLatencyP95Ratio: number | undefined;
  /** Canary cost per request over stable's. */
  maxCostRatio: number | undefined;
}

export type GuardMetric = 'error_rate' | 'ttft_p95' | 'latency_p95' | 'cost_per_request';

export interface CheckResult {
  metric: GuardMetric;
  stable: number;
  canary: number;
  limit: number;
  pValue: number;
  samples: { stable: number; canary: number };
  regressed: boolean;
}

export type GuardVerdict =
  | { kind: 'insufficient'; stable: number; canary: number; needed: number }
  | { kind: 'holds'; checks: CheckResult[] }
  | { kind: 'regressed'; checks: CheckResult[]; failed: CheckResult[] };

/** Under H0 for a p95, a sample lies above it with probability at most this. */
const tailShare = 0.05;

/** Below this share of the mean, a cost's standard deviation is rounding in the sums of squares, not spread. */
const costRounding = 1e-7;

export function judge(stable: WindowSummary, canary: WindowSummary, s: GuardSettings): GuardVerdict {
  if (stable.requests < s.minRequests || canary.requests < s.minRequests) {
    return { kind: 'insufficient', stable: stable.requests, canary: canary.requests, needed: s.minRequests };
  }
  const checks: CheckResult[] = [];
  if (s.maxErrorRateIncrease !== undefined) checks.push(errorRateCheck(stable, canary, s.maxErrorRateIncrease, s.alpha));
  if (s.maxTtftP95Ratio !== undefined && enough(stable.ttft.count, canary.ttft.count, s)) {
    checks.push(p95Check('ttft_p95', stable.ttft, canary.ttft, s.maxTtftP95Ratio, s.alpha));
  }
  if (s.maxLatencyP95Ratio !== undefined && enough(stable.latency.count, canary.latency.count, s)) {
    checks.push(p95Check('latency_p95', stable.latency, canary.latency, s.maxLatencyP95Ratio, s.alpha));
  }
  if (s.maxCostRatio !== undefined && enough(stable.cost.n, canary.cost.n, s)) {
    checks.push(costCheck(stable.cost, canary.cost, s.maxCostRatio, s.alpha));
  }
  const failed = checks.filter((c) => c.regressed);
  return failed.length > 0 ? { kind: 'regressed', checks, failed } : { kind: 'holds', checks };
}

function enough(stable: number, canary: number, s: GuardSettings): boolean {
  return stable >= s.minRequests && canary >= s.minRequests;
}

function errorRateCheck(stable: WindowSummary, canary: WindowSummary, delta: number, alpha: number): CheckResult {
  const adjusted = (w: WindowSummary): number => (w.failures + 1) / (w.requests + 2);
  const ps = adjusted(stable);
  const pc = adjusted(canary);
  const z = (pc - ps - delta) / Math.sqrt((pc * (1 - pc)) / (canary.requests + 2) + (ps * (1 - ps)) / (stable.requests + 2));
  const pValue = normalUpperTail(z);
  const rateStable = stable.failures / stable.requests;
  const rateCanary = canary.failures / canary.requests;
  const limit = rateStable + delta;
  return {
    metric: 'error_rate',
    stable: rateStable,
    canary: rateCanary,
    limit,
    pValue,
    samples: { stable: stable.requests, canary: canary.requests },
    regressed: pValue < alpha && rateCanary > limit,
  };
}

function p95Check(metric: GuardMetric, stable: LatencyHistogram, canary: LatencyHistogram, ratio: number, alpha: number): CheckResult {
  const stableP95 = stable.quantile(0.95);
  const canaryP95 = canary.quantile(0.95);
  const limit = ratio * stableP95;
  // countAbove interpolates within a bin; rounding down keeps the test on the conservative side.
  const above = Math.floor(canary.countAbove(limit));
  const pValue = binomialUpperTail(canary.count, tailShare, above);
  return {
    metric,
    stable: stableP95,
    canary: canaryP95,
    limit,
    pValue,
    samples: { stable: stable.count, canary: canary.count },
    regressed: pValue < alpha && canaryP95 > limit,
  };
}

function meanAndVariance(c: CostSums): { mean: number; variance: number } {
  const mean = c.sum / c.n;
  const variance = Math.max(0, (c.sumSq - c.sum * mean) / (c.n - 1));
  return { mean, variance: variance <= (costRounding * mean) ** 2 ? 0 : variance };
}

function costCheck(stable: CostSums, canary: CostSums, ratio: number, alpha: number): CheckResult {
  const s = meanAndVariance(stable);
  const c = meanAndVariance(canary);
  const limit = ratio * s.mean;
  const se = Math.sqrt(c.variance / canary.n + (ratio * ratio * s.variance) / stable.n);
  const beyond = c.mean - limit > costRounding * limit;
  const pValue = se > 0 ? normalUpperTail((c.mean - limit) / se) : beyond ? 0 : 1;
  return {
    metric: 'cost_per_request',
    stable: s.mean,
    canary: c.mean,
    limit,
    pValue,
    samples: { stable: stable.n, canary: canary.n },
    regressed: pValue < alpha && beyond,
  };
}

const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ms = (x: number): string => `${Math.round(x)} ms`;
const usd = (x: number): string => `$${x.toPrecision(3)}`;

function describeCheck(c: CheckResult): string {
  const p = c.pValue === 0 ? 'p≈0' : `p=${c.pValue.toExponential(0)}`;
  switch (c.metric) {
    case 'error_rate':
      return `error rate ${percent(c.canary)} vs stable ${percent(c.stable)} (limit +${((c.limit - c.stable) * 100).toFixed(1)} points, ${p})`;
    case 'ttft_p95':
      return `p95 time to first token ${ms(c.canary)} vs stable ${ms(c.stable)} (limit ${ms(c.limit)}, ${p})`;
    case 'latency_p95':
      return `p95 latency ${ms(c.canary)} vs stable ${ms(c.stable)} (limit ${ms(c.limit)}, ${p})`;
    case 'cost_per_request':
      return `cost per request ${usd(c.canary)} vs stable ${usd(c.stable)} (limit ${usd(c.limit)}, ${p})`;
  }
}

/** One sentence for logs and events, e.g. "error rate 38.0% vs stable 1.0% (limit +2.0 points, p=1e-12)". */
export function describeRegression(failed: readonly CheckResult[]): string {
  return failed.map(describeCheck).join('; ');
}
