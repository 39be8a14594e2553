/** Markdown tables of `npm run bench:pool` runs. */
import type { RunResult } from './harness.js';

export interface Column<T> {
  readonly title: string;
  readonly value: (row: T) => string;
}

export function markdownTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const header = `| ${columns.map((c) => c.title).join(' | ')} |`;
  const rule = `| ${columns.map((c) => (c.title === columns[0]!.title ? '---' : '---:')).join(' | ')} |`;
  const body = rows.map((r) => `| ${columns.map((c) => c.value(r)).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const ms = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–');
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)} %` : '–');

/** The columns of a run row (the smoke test checks that every one is present). */
export const runColumns: readonly Column<RunResult>[] = [
  { title: 'router', value: (r) => r.label },
  { title: 'rate req/s', value: (r) => fixed(r.rate, 1) },
  { title: 'out tok/s', value: (r) => fixed(r.outputTokensPerS, 0) },
  { title: 'steady/offered', value: (r) => `${fixed(r.steadyTokensPerS, 0)}/${fixed(r.offeredTokensPerS, 0)}` },
  { title: 'TTFT mean ms', value: (r) => ms(r.ttftMs.mean) },
  { title: 'TTFT p50', value: (r) => ms(r.ttftMs.p50) },
  { title: 'TTFT p90', value: (r) => ms(r.ttftMs.p90) },
  { title: 'TTFT p99', value: (r) => ms(r.ttftMs.p99) },
  { title: 'ITL mean ms', value: (r) => ms(r.itlMs.mean) },
  { title: 'ITL p99', value: (r) => ms(r.itlMs.p99) },
  { title: 'success', value: (r) => pct(r.successRate) },
  { title: 'prefix hit', value: (r) => pct(r.prefixHitRate) },
  { title: 'spilled', value: (r) => (r.router === 'switchyard' ? String(r.spilled) : 'n/a') },
  { title: 'imbalance max/mean', value: (r) => fixed(r.imbalance, 2) },
  { title: 'decision p50 µs', value: (r) => fixed(r.decisionUs.p50, 1) },
  { title: 'decision p99 µs', value: (r) => fixed(r.decisionUs.p99, 1) },
];

export const runTable = (rows: readonly RunResult[]) => markdownTable(rows, runColumns);
