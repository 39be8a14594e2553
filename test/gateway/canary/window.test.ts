/**
 * The canary windows (gateway/canary/window.ts): slices age out as time passes, an idle gap empties the
 * window, and the latency histogram's quantiles and tail counts stay within its bin error (8%).
 */
import { describe, it, expect } from 'vitest';
import { CanaryWindows, LatencyHistogram, VariantWindow, type CanaryObservation } from '../../../gateway/canary/window.js';

const answered = (latencyMs: number, costUsd?: number): CanaryObservation => ({ failed: false, ttftMs: undefined, latencyMs, costUsd });
const failed: CanaryObservation = { failed: true, ttftMs: undefined, latencyMs: undefined, costUsd: undefined };

describe('VariantWindow', () => {
  // 10 s window in 10 slices of 1 s.
  it('keeps the current slice and the nine before it, and drops older ones as time moves on', () => {
    const w = new VariantWindow(10_000, 10);
    w.observe(500, failed);
    w.observe(1_500, answered(100));
    w.observe(9_900, answered(100));
    expect(w.summary(9_900)).toMatchObject({ requests: 3, failures: 1 });
    // At 10 s the slice [0, 1 s) has left the window; [1 s, 2 s) is still in it.
    expect(w.summary(10_000)).toMatchObject({ requests: 2, failures: 0 });
    expect(w.summary(11_000)).toMatchObject({ requests: 1 });
    // Observing reuses the ring slot of [0, 1 s) for [10 s, 11 s) and clears it first.
    w.observe(10_200, answered(100));
    expect(w.summary(10_200)).toMatchObject({ requests: 3, failures: 0 });
    expect(w.summary(10_200).latency.count).toBe(3);
  });

  it('is empty after an idle gap longer than the window, and counts only what came after', () => {
    const w = new VariantWindow(10_000, 10);
    for (let t = 0; t < 10_000; t += 100) w.observe(t, answered(50, 0.01));
    expect(w.summary(9_999).requests).toBe(100);
    expect(w.summary(60_000)).toMatchObject({ requests: 0, failures: 0, cost: { n: 0, sum: 0, sumSq: 0 } });
    w.observe(60_000, failed);
    const after = w.summary(60_000);
    expect(after).toMatchObject({ requests: 1, failures: 1 });
    expect(after.latency.count).toBe(0);
  });

  it('records into the latest slice when the clock steps back', () => {
    const w = new VariantWindow(10_000, 10);
    w.observe(5_000, answered(10));
    w.observe(1_000, answered(10));
    expect(w.summary(5_000).requests).toBe(2);
    expect(w.summary(14_999).requests).toBe(2);
    expect(w.summary(15_000).requests).toBe(0);
  });

  it('sums cost, and leaves out requests whose cost is unknown', () => {
    const w = new VariantWindow(10_000);
    w.observe(0, answered(10, 0.002));
    w.observe(1, answered(10, 0.004));
    w.observe(2, answered(10));
    const { cost, requests } = w.summary(2);
    expect(requests).toBe(3);
    expect(cost.n).toBe(2);
    expect(cost.sum).toBeCloseTo(0.006, 12);
    expect(cost.sumSq).toBeCloseTo(0.002 ** 2 + 0.004 ** 2, 15);
  });

  it('puts TTFT and latency in their own histograms', () => {
    const w = new VariantWindow(10_000);
    w.observe(0, { failed: false, ttftMs: 200, latencyMs: 900, costUsd: undefined });
    w.observe(0, answered(1_000));
    const s = w.summary(0);
    expect(s.ttft.count).toBe(1);
    expect(s.latency.count).toBe(2);
    expect(s.ttft.quantile(0.5)).toBeGreaterThan(200 / 1.08);
    expect(s.ttft.quantile(0.5)).toBeLessThan(200 * 1.08);
  });

  it('forgets everything on reset', () => {
    const w = new VariantWindow(10_000);
    w.observe(0, failed);
    w.reset();
    expect(w.summary(0).requests).toBe(0);
    w.observe(0, failed);
    expect(w.summary(0).requests).toBe(1);
  });
});

describe('CanaryWindows', () => {
  it('keeps the variants apart', () => {
    const windows = new CanaryWindows(10_000);
    windows.of('canary').observe(0, failed);
    windows.of('stable').observe(0, answered(10));
    windows.of('stable').observe(0, answered(10));
    expect(windows.canary.summary(0)).toMatchObject({ requests: 1, failures: 1 });
    expect(windows.stable.summary(0)).toMatchObject({ requests: 2, failures: 0 });
    windows.reset();
    expect(windows.stable.summary(0).requests + windows.canary.summary(0).requests).toBe(0);
  });
});

describe('LatencyHistogram', () => {
  const uniform = new LatencyHistogram();
  for (let ms = 1; ms <= 1000; ms += 1) uniform.add(ms);

  it('reads quantiles of 1..1000 ms within the bin error', () => {
    expect(uniform.count).toBe(1000);
    for (const [q, expected] of [
      [0.5, 500],
      [0.95, 950],
      [0.99, 990],
    ] as const) {
      const v = uniform.quantile(q);
      expect(v / expected).toBeGreaterThan(1 / 1.08);
      expect(v / expected).toBeLessThan(1.08);
    }
  });

  it('counts samples above a threshold, interpolating within its bin', () => {
    expect(uniform.countAbove(0)).toBe(1000);
    expect(uniform.countAbove(2_000_000_000)).toBe(0);
    for (const t of [100, 500, 950]) {
      const exact = 1000 - t;
      expect(Math.abs(uniform.countAbove(t) - exact)).toBeLessThan(t * 0.08);
    }
  });

  it('agrees with itself: above the q-quantile lie (1 − q) of the samples', () => {
    for (const q of [0.5, 0.9, 0.95, 0.999]) expect(uniform.countAbove(uniform.quantile(q))).toBeCloseTo((1 - q) * 1000, 6);
  });

  it('keeps sub-millisecond values in the first bin and clamps the slowest to the top (~32 min)', () => {
    const h = new LatencyHistogram();
    h.add(0.2);
    h.add(-3);
    h.add(1e9);
    expect(h.quantile(0)).toBe(0);
    expect(h.quantile(0.5)).toBeLessThan(1);
    expect(h.quantile(1)).toBeGreaterThan(30 * 60_000);
    expect(h.quantile(1)).toBeLessThan(35 * 60_000);
    expect(h.countAbove(0.5)).toBeCloseTo(2, 9);
  });

  it('merges counts', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.add(10);
    b.add(1000);
    a.addAll(b);
    expect(a.count).toBe(2);
    expect(a.countAbove(100)).toBe(1);
    expect(new LatencyHistogram().quantile(0.95)).toBe(0);
  });
});
