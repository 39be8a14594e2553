/**
 * An eval run's report: per variant, each case's result and the totals, as one JSON-ready object
 * (`switchyard eval --json` prints it as is) and as a side-by-side text table. The JSON shape:
 *
 *   {
 *     "suite": "chat-smoke", "route": "chat",
 *     "pass": false,                          // every case passed on every variant run
 *     "variants": [{
 *       "variant": "stable",                  // or "canary"; in the order run
 *       "cases": 3, "passed": 3, "failed": 0, "passRate": 1,
 *       "latencyMs": { "mean": 12.3, "p95": 20.1 },          // null when no case got an answer
 *       "tokens": { "prompt": 30, "completion": 72 },        // sums of the answers' `usage`
 *       "costUsd": { "total": 0.00012, "mean": 0.00004, "unknown": 0 },  // over the cases whose cost
 *                                             // the gateway reported; null when none; `unknown` counts the others
 *       "results": [{
 *         "name": "says-lorem", "pass": true,
 *         "reason": "...",                    // only when it failed: every failing check, joined by "; "
 *         "status": 200,                      // null when the request got no answer
 *         "latencyMs": 12.1, "costUsd": 0.00004,      // null when unknown
 *         "promptTokens": 10, "completionTokens": 24,
 *         "servedVariant": "stable", "deployment": "stable-dep"   // the gateway's headers, or null
 *       }]
 *     }]
 *   }
 */
export type EvalVariant = 'stable' | 'canary';

export interface CaseResult {
  name: string;
  pass: boolean;
  reason?: string;
  status: number | null;
  latencyMs: number | null;
  costUsd: number | null;
  promptTokens: number;
  completionTokens: number;
  servedVariant: string | null;
  deployment: string | null;
}

export interface VariantReport {
  variant: EvalVariant;
  cases: number;
  passed: number;
  failed: number;
  passRate: number;
  latencyMs: { mean: number | null; p95: number | null };
  tokens: { prompt: number; completion: number };
  costUsd: { total: number | null; mean: number | null; unknown: number };
  results: CaseResult[];
}

export interface EvalReport {
  suite: string;
  route: string;
  pass: boolean;
  variants: VariantReport[];
}

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarize(variant: EvalVariant, results: CaseResult[]): VariantReport {
  const passed = results.filter((r) => r.pass).length;
  const latencies = results.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])).sort((a, b) => a - b);
  const costs = results.flatMap((r) => (r.costUsd === null ? [] : [r.costUsd]));
  const totalCost = costs.reduce((a, b) => a + b, 0);
  return {
    variant,
    cases: results.length,
    passed,
    failed: results.length - passed,
    passRate: results.length === 0 ? 0 : round(passed / results.length, 4),
    latencyMs: {
      mean: latencies.length === 0 ? null : round(latencies.reduce((a, b) => a + b, 0) / latencies.length, 1),
      p95: latencies.length === 0 ? null : round(percentile(latencies, 95), 1),
    },
    tokens: { prompt: sum(results, 'promptTokens'), completion: sum(results, 'completionTokens') },
    costUsd: {
      total: costs.length === 0 ? null : round(totalCost, 10),
      mean: costs.length === 0 ? null : round(totalCost / costs.length, 10),
      unknown: results.length - costs.length,
    },
    results,
  };
}

function sum(results: readonly CaseResult[], field: 'promptTokens' | 'completionTokens'): number {
  return results.reduce((total, r) => total + r[field], 0);
}

const ms = (n: number | null): string => (n === null ? '-' : `${Math.round(n)} ms`);
const usd = (n: number | null): string => (n === null ? '?' : `$${round(n, 6)}`);

function costCell(v: VariantReport): string {
  if (v.costUsd.total === null) return 'unknown';
  const cell = `${usd(v.costUsd.total)} / ${usd(v.costUsd.mean)}`;
  return v.costUsd.unknown > 0 ? `${cell} (${v.costUsd.unknown} unknown)` : cell;
}

/** The side-by-side text report: a column per variant, then the failing reasons, then the verdict. */
export function formatReport(report: EvalReport): string {
  const runs = report.variants;
  const rows: [string, string[]][] = [['', runs.map((v) => v.variant)]];
  const names = runs[0]?.results.map((r) => r.name) ?? [];
  names.forEach((name, i) => {
    rows.push([name, runs.map((v) => `${v.results[i]!.pass ? 'pass' : 'FAIL'}  ${ms(v.results[i]!.latencyMs)}`)]);
  });
  rows.push(['pass rate', runs.map((v) => `${v.passed}/${v.cases} (${Math.round(v.passRate * 100)}%)`)]);
  rows.push(['latency mean / p95', runs.map((v) => `${ms(v.latencyMs.mean)} / ${ms(v.latencyMs.p95)}`)]);
  rows.push(['tokens prompt / completion', runs.map((v) => `${v.tokens.prompt} / ${v.tokens.completion}`)]);
  rows.push(['cost total / mean', runs.map(costCell)]);

  const first = Math.max(...rows.map(([label]) => label.length)) + 2;
  const width = Math.max(...rows.flatMap(([, cells]) => cells.map((c) => c.length))) + 3;
  const lines = [`suite ${report.suite} on route ${report.route}: ${names.length} case(s)`, ''];
  for (const [label, cells] of rows) lines.push(`${label.padEnd(first)}${cells.map((c) => c.padEnd(width)).join('')}`.trimEnd());

  const failures = runs.flatMap((v) => v.results.filter((r) => !r.pass).map((r) => `  ${v.variant} ${r.name}: ${r.reason ?? 'failed'}`));
  if (failures.length > 0) lines.push('', 'failures:', ...failures);
  const verdict = runs.map((v) => `${v.variant} ${v.passed}/${v.cases}`).join(', ');
  lines.push('', `${report.pass ? 'PASS' : 'FAIL'}: ${verdict}`);
  return `${lines.join('\n')}\n`;
}
