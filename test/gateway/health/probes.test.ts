/**
 * Recovery within seconds: probes of a deployment whose breaker is open (or that is ejected), as a
 * state machine with time passed in, and the scheduler that sends them (fake timers): one real trial as
 * soon as a probe passes, no more than one real trial per reset period when probes pass but real
 * traffic fails, no timer at all while every deployment is well.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type BreakerState } from '../../../gateway/health/breaker.js';
import { DeploymentHealth } from '../../../gateway/health/deployment-health.js';
import { ProbeScheduler } from '../../../gateway/health/probe-scheduler.js';

const options = { errorPercent: 50, minRequests: 4, windowMs: 10_000, resetMs: 1000, maxResetMs: 8000 };

function breaker() {
  const transitions: string[] = [];
  const b = new CircuitBreaker(options, (from: BreakerState, to: BreakerState) => transitions.push(`${from}->${to}`));
  for (let i = 0; i < 4; i += 1) b.record(b.acquire(0)!, 'failure', 0);
  return { b, transitions };
}

/** Real trials a breaker lets through when asked every `stepMs` until `untilMs`, each one failing. */
function failingTrials(b: CircuitBreaker, fromMs: number, untilMs: number, stepMs: number): number[] {
  const trials: number[] = [];
  for (let now = fromMs; now <= untilMs; now += stepMs) {
    b.probePassed(now);
    const permit = b.acquire(now);
    if (!permit) continue;
    trials.push(now);
    b.record(permit, 'failure', now);
  }
  return trials;
}

describe('breaker probes', () => {
  it('a passing probe while open makes the breaker half-open at once: one trial, whose success closes', () => {
    const { b, transitions } = breaker();
    expect(b.waitingForTrial(100)).toBe(true);
    expect(b.probePassed(100)).toBe(true);
    expect(b.state(100)).toBe('half_open');
    const trial = b.acquire(100)!;
    expect(trial.trial).toBe(true);
    expect(b.acquire(101)).toBeUndefined();
    expect(b.probePassed(102)).toBe(false);
    b.record(trial, 'success', 150);
    expect(b.state(150)).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('does nothing on a closed, half-open or operator-forced breaker', () => {
    const fresh = new CircuitBreaker(options);
    expect(fresh.waitingForTrial(0)).toBe(false);
    expect(fresh.probePassed(0)).toBe(false);
    const { b } = breaker();
    expect(b.state(1000)).toBe('half_open');
    expect(b.probePassed(1000)).toBe(false);
    const forced = breaker().b;
    forced.forced = 'open';
    expect(forced.waitingForTrial(10)).toBe(false);
    expect(forced.probePassed(10)).toBe(false);
    expect(forced.acquire(10)).toBeUndefined();
  });

  it('probes that pass while real traffic fails buy at most one real trial per reset period', () => {
    const { b } = breaker();
    // Probes pass every 50 ms for 10 s; every real trial fails.
    const trials = failingTrials(b, 50, 10_000, 50);
    expect(trials[0]).toBe(50);
    for (let i = 1; i < trials.length; i += 1) expect(trials[i]! - trials[i - 1]!).toBeGreaterThanOrEqual(options.resetMs);
    expect(trials.length).toBeLessThanOrEqual(1 + 10_000 / options.resetMs);
  });

  it('a failed timed trial does not make probes suspect: a probe that passes later still opens the trial at once', () => {
    const { b } = breaker();
    // No probe passed (the health path was down too); the timed trial at reset_ms fails.
    const timed = b.acquire(1000)!;
    b.record(timed, 'failure', 1000);
    expect(b.state(1100)).toBe('open');
    expect(b.probePassed(1100)).toBe(true);
    b.record(b.acquire(1100)!, 'success', 1150);
    expect(b.state(1150)).toBe('closed');
  });

  it('a close makes probes trusted again', () => {
    const { b } = breaker();
    b.probePassed(10);
    b.record(b.acquire(10)!, 'failure', 10);
    expect(b.probePassed(20)).toBe(false);
    expect(b.probePassed(1010)).toBe(true);
    b.record(b.acquire(1010)!, 'success', 1010);
    for (let i = 0; i < 4; i += 1) b.record(b.acquire(2000)!, 'failure', 2000);
    expect(b.probePassed(2010)).toBe(true);
  });
});

const breakerConfig = { error_percent: 50, min_requests: 4, window_ms: 10_000, reset_ms: 1000, max_reset_ms: 8000, probe_interval_ms: 100 };
const outlier = { consecutive_failures: 3, base_ejection_ms: 5000, max_ejection_ms: 20_000 };

function health() {
  const h = new DeploymentHealth(breakerConfig, outlier, () => undefined);
  let wakes = 0;
  h.onProbeWanted = () => (wakes += 1);
  const attempt = (verdict: 'success' | 'failure', now: number) => h.record(h.acquire(now)!, verdict, now);
  return { h, attempt, wakes: () => wakes };
}

describe('deployment health and probes', () => {
  it('wants probes while its breaker is open, and wakes its scheduler when it opens', () => {
    const { h, attempt, wakes } = health();
    expect(h.wantsProbe(0)).toBe(false);
    for (let i = 0; i < 2; i += 1) attempt('failure', 0);
    attempt('success', 0);
    attempt('failure', 0);
    expect(h.breaker.state(0)).toBe('open');
    expect(wakes()).toBe(1);
    expect(h.wantsProbe(10)).toBe(true);
    h.drain();
    expect(h.wantsProbe(10)).toBe(false);
  });

  it('an ejection ends when a probe passes, but not again when it failed its way back into one', () => {
    const { h, attempt, wakes } = health();
    for (let i = 0; i < 3; i += 1) attempt('failure', 0);
    // Three failures of three attempts: the breaker is below min_requests; only the ejection holds.
    expect(h.breaker.state(0)).toBe('closed');
    expect(h.ejected(100)).toBe(true);
    expect(wakes()).toBe(1);
    expect(h.wantsProbe(100)).toBe(true);
    h.probePassed(100);
    expect(h.ejected(100)).toBe(false);
    expect(h.wantsProbe(100)).toBe(false);
    h.breaker.forced = 'closed'; // keep the breaker out of this test
    for (let i = 0; i < 3; i += 1) attempt('failure', 200);
    expect(h.ejected(300)).toBe(true);
    expect(h.wantsProbe(300)).toBe(false);
    h.probePassed(300);
    expect(h.ejected(300)).toBe(true);
    // A real success makes probes believed again.
    attempt('success', 12_000);
    for (let i = 0; i < 3; i += 1) attempt('failure', 12_000);
    h.probePassed(12_100);
    expect(h.ejected(12_100)).toBe(false);
  });
});

describe('ProbeScheduler', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function openBreaker(h: DeploymentHealth, now: number) {
    for (let i = 0; i < 4; i += 1) h.record(h.acquire(now)!, 'failure', now);
  }

  /** Moves the scheduler's clock and the fake timers together, 10 ms at a time. */
  async function advance(ms: number) {
    for (let left = ms; left > 0; left -= 10) {
      const step = Math.min(10, left);
      clock += step;
      await vi.advanceTimersByTimeAsync(step);
    }
  }

  function setup(probeResult: () => boolean) {
    const results: string[] = [];
    const scheduler = new ProbeScheduler({ now: () => clock, onProbe: (id, result) => results.push(`${id}:${result}`) });
    const h = new DeploymentHealth({ ...breakerConfig, reset_ms: 60_000 }, { ...outlier, consecutive_failures: 100 }, () => undefined);
    let probes = 0;
    scheduler.adopt({
      deploymentId: 'a',
      health: h,
      intervalMs: 100,
      probe: () => {
        probes += 1;
        return Promise.resolve(probeResult());
      },
    });
    return { scheduler, h, results, probes: () => probes };
  }

  it('runs no timer while all is well', () => {
    const { scheduler } = setup(() => true);
    expect(vi.getTimerCount()).toBe(0);
    expect(scheduler.probing()).toEqual([]);
  });

  it('probes an open breaker every interval until a probe passes, then lets one trial through', async () => {
    let up = false;
    const { h, results, probes } = setup(() => up);
    openBreaker(h, clock);
    expect(vi.getTimerCount()).toBe(1);
    await advance(99);
    expect(probes()).toBe(0);
    await advance(1);
    await advance(100);
    expect(results).toEqual(['a:fail', 'a:fail']);
    up = true;
    await advance(100);
    expect(results.at(-1)).toBe('a:pass');
    expect(h.breaker.state(clock)).toBe('half_open');
    // Half-open: no more probes, no timer.
    await advance(1000);
    expect(probes()).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
    // The trial fails: open again, probes resume.
    h.record(h.acquire(clock)!, 'failure', clock);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('stops on stop(), and a newer scheduler takes a carried-over deployment over', async () => {
    const { scheduler, h, probes } = setup(() => false);
    openBreaker(h, clock);
    await advance(250);
    expect(probes()).toBe(2);
    const next = new ProbeScheduler({ now: () => clock });
    let nextProbes = 0;
    next.adopt({
      deploymentId: 'a',
      health: h,
      intervalMs: 100,
      probe: () => {
        nextProbes += 1;
        return Promise.resolve(false);
      },
    });
    scheduler.stop();
    await advance(300);
    expect(probes()).toBe(2);
    expect(nextProbes).toBeGreaterThanOrEqual(2);
    next.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(h.onProbeWanted).toBeUndefined();
  });
});
