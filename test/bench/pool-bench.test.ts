/**
 * `npm run bench:pool`'s parts on a tiny workload, through the API (not the CLI): every router serves
 * every request, the same seed gives the same requests, a killed endpoint fails requests, and the
 * report has every column. No timing is asserted.
 */
import { describe, expect, it } from 'vitest';
import { measureDecisionTime } from '../../bench/pool/decision.js';
import { routerNames, runPool } from '../../bench/pool/harness.js';
import { runColumns, runTable } from '../../bench/pool/report.js';
import { generateWorkload, workload, type WorkloadParams } from '../../bench/pool/workload.js';

const tiny: Partial<WorkloadParams> = {
  groups: 4,
  prefixTokens: 256,
  questionTokens: 64,
  outputTokens: 16,
  requests: 40,
  rate: 20,
  endpoints: 2,
};

describe('bench:pool', () => {
  it('generates the same requests from the same seed, sharing prefixes only within a group', () => {
    const a = generateWorkload(workload('shared-prefix', tiny));
    const b = generateWorkload(workload('shared-prefix', tiny));
    expect(a.sessions.map((s) => [s.startMs, s.turns[0]!.prompt])).toEqual(b.sessions.map((s) => [s.startMs, s.turns[0]!.prompt]));
    expect(a.requests).toBe(40);
    for (const s of a.sessions) {
      const turn = s.turns[0]!;
      expect(turn.prompt.length).toBe(4 * (256 + 64));
      expect(turn.promptTokens).toBe(256 + 64);
    }
    const [x, y] = a.sessions.filter((s) => s.group === a.sessions[0]!.group);
    if (x !== undefined && y !== undefined) {
      expect(x.turns[0]!.prompt.slice(0, 1024)).toBe(y.turns[0]!.prompt.slice(0, 1024));
      expect(x.turns[0]!.prompt).not.toBe(y.turns[0]!.prompt);
    }
  });

  it('generates arrivals for a duration instead of a count', () => {
    const w = generateWorkload(workload('no-reuse', { ...tiny, rate: 50, durationS: 4 }));
    expect(w.requests).toBeGreaterThan(120);
    expect(w.requests).toBeLessThan(280);
    expect(w.arrivalWindowMs).toBeLessThanOrEqual(4000);
  });

  it('grows a multi-turn prompt by the previous turn', () => {
    const w = generateWorkload(workload('multi-turn', { ...tiny, turns: 3, thinkTimeMs: 100 }));
    const [t0, t1, t2] = w.sessions[0]!.turns;
    expect(t1!.prompt.startsWith(t0!.prompt)).toBe(true);
    expect(t2!.prompt.startsWith(t1!.prompt)).toBe(true);
  });

  it('runs all four routers to completion on the same workload, and reports every column', () => {
    const work = generateWorkload(workload('shared-prefix', tiny));
    const rows = routerNames.map((router) => runPool(work, { router, spill: 'queue' }));
    for (const r of rows) {
      expect(r.completed).toBe(40);
      expect(r.failed).toBe(0);
      expect(r.successRate).toBe(1);
      expect(r.requestsPerEndpoint.reduce((a, b) => a + b, 0)).toBe(40);
      expect(r.outputTokensPerS).toBeGreaterThan(0);
      expect(Number.isFinite(r.ttftMs.p99)).toBe(true);
      expect(Number.isFinite(r.decisionUs.p50)).toBe(true);
    }
    const table = runTable(rows);
    const header = table.split('\n')[0]!;
    for (const c of runColumns) expect(header).toContain(c.title);
    expect(table.split('\n')).toHaveLength(2 + rows.length);
    // Spilling to the cloud: completed + spilled covers every request.
    const cloud = runPool(work, { router: 'switchyard', spill: 'cloud' });
    expect(cloud.completed + cloud.spilled).toBe(40);
  });

  it('fails the requests of a killed endpoint, and switchyard routes around it', () => {
    const work = generateWorkload(
      workload('faulty', { ...tiny, requests: 80, endpoints: 3, faults: { kill: { endpoint: 1, atFraction: 0.3 } } }),
    );
    const rr = runPool(work, { router: 'round-robin' });
    const sy = runPool(work, { router: 'switchyard', spill: 'queue' });
    expect(rr.failed).toBeGreaterThan(0);
    expect(rr.completed + rr.failed).toBe(80);
    expect(sy.completed + sy.failed).toBe(80);
    expect(sy.failed).toBeLessThan(rr.failed);
  });

  it('times decisions', () => {
    const d = measureDecisionTime({ members: 2, promptChars: 2000, warmup: 20, decisions: 50 });
    expect(d.decisions).toBe(50);
    expect(d.p99Us).toBeGreaterThanOrEqual(d.p50Us);
  });
});
