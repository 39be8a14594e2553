/**
 * What every part of `npm run bench` shares: its settings (from the environment), the one-route
 * gateway config, a load run summarised as a row, the gateway's CPU time per request around a run,
 * and the medians over alternating rounds.
 */
import { percentile, runLoad, type LoadResult } from './load.js';
import { processCpuSeconds } from './processes.js';
import { bodies } from './bodies.js';

export const requests = Number(process.env.BENCH_REQUESTS ?? 3000);
export const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
export const baselineRef = process.env.BENCH_BASELINE?.trim() || undefined;
export const rounds = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)) || 3);
/** Requests sent before each measured run, so the JIT has optimised the hot path and pools are open. */
export const warmup = 1000;
// A pinned (dated) id, as a real deployment's: the answers' model is compared with it (drift), as in production.
export const model = 'bench-model-2024-01-01';

export const bodyFor = bodies.chat;

export type Row = ReturnType<typeof row>;
export type GatewayRow = Row & { cpuUsPerRequest?: number };
export const kinds = ['non-stream', 'stream'] as const;
export type Kind = (typeof kinds)[number];

export function row(name: string, r: LoadResult) {
  return {
    name,
    ok: r.latencyMs.length,
    errors: r.errors,
    rps: Math.round((r.latencyMs.length / r.wallMs) * 1000),
    p50: +percentile(r.latencyMs, 50).toFixed(2),
    p99: +percentile(r.latencyMs, 99).toFixed(2),
    ttfb50: +percentile(r.firstByteMs, 50).toFixed(2),
  };
}

/** `requests` measured requests through the gateway at `origin`, with its CPU time per request. */
export async function measureGateway(name: string, origin: string, stream: boolean): Promise<GatewayRow & { cpuUsPerRequest: number }> {
  const cpuBefore = await processCpuSeconds(`${origin}/metrics`);
  const via = await runLoad(origin, '/v1/chat/completions', bodyFor('bench', stream), requests, concurrency);
  const cpuAfter = await processCpuSeconds(`${origin}/metrics`);
  return { ...row(name, via), cpuUsPerRequest: Math.round(((cpuAfter - cpuBefore) * 1e6) / requests) };
}

export function summarise(results: Record<string, GatewayRow>) {
  return kinds.map((kind) => {
    const d = results[`direct ${kind}`]!;
    const g = results[`gateway ${kind}`]!;
    return {
      kind,
      addedP50Ms: +(g.p50 - d.p50).toFixed(2),
      addedP99Ms: +(g.p99 - d.p99).toFixed(2),
      throughputRatio: +(g.rps / d.rps).toFixed(2),
      gatewayCpuUsPerRequest: g.cpuUsPerRequest,
    };
  });
}

/** The gateway config of the benchmark: one route, `bench`, to the simulator. */
export const gatewayConfig = (simOrigin: string) => `version: 1
providers:
  sim: { type: openai, base_url: ${simOrigin}/v1 }
deployments:
  bench@sim: { provider: sim, model: ${model} }
routes:
  bench: { targets: [bench@sim] }
`;

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round2 = (n: number) => +n.toFixed(2);
export const signed = (n: number, digits = 2) => `${n > 0 ? '+' : n < 0 ? '−' : '±'}${Math.abs(n).toFixed(digits)}`;

/** Each field of `rows` (measurements of one path, one per round) replaced by its median over the rounds; errors summed. */
export function medianRow(name: string, rows: GatewayRow[]): GatewayRow {
  const m = (f: (r: GatewayRow) => number | undefined) => round2(median(rows.map((r) => f(r) ?? NaN)));
  const out: GatewayRow = {
    name,
    ok: m((r) => r.ok),
    errors: rows.reduce((sum, r) => sum + r.errors, 0),
    rps: m((r) => r.rps),
    p50: m((r) => r.p50),
    p99: m((r) => r.p99),
    ttfb50: m((r) => r.ttfb50),
  };
  if (rows.every((r) => r.cpuUsPerRequest !== undefined)) out.cpuUsPerRequest = m((r) => r.cpuUsPerRequest);
  return out;
}
