/**
 * The breaker's semantics, the ones opossum 9 gets wrong for us included:
 * exactly one trial, client faults never settle a trial, late results from before an opening are
 * ignored, and the wait doubles on each failed trial.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerState } from '../../../gateway/health/breaker.js';

const options = { errorPercent: 50, minRequests: 4, windowMs: 10_000, resetMs: 1000, maxResetMs: 8000 };

function breaker() {
  const transitions: string[] = [];
  const b = new CircuitBreaker(options, (from: BreakerState, to: BreakerState) => transitions.push(`${from}->${to}`));
  return { b, transitions };
}

function fail(b: CircuitBreaker, now: number, n = 1) {
  for (let i = 0; i < n; i += 1) b.record(b.acquire(now)!, 'failure', now);
}

describe('CircuitBreaker', () => {
  it('stays closed below the volume threshold, opens at the error share', () => {
    const { b, transitions } = breaker();
    fail(b, 0, 3);
    expect(b.state(0)).toBe('closed');
    b.record(b.acquire(0)!, 'success', 0);
    expect(b.state(0)).toBe('closed');
    fail(b, 0, 1);
    expect(b.state(0)).toBe('open');
    expect(b.acquire(10)).toBeUndefined();
    expect(b.available(10)).toBe(false);
    expect(transitions).toEqual(['closed->open']);
  });

  it('lets exactly one trial through when half-open; its success closes', () => {
    const { b, transitions } = breaker();
    fail(b, 0, 4);
    expect(b.state(999)).toBe('open');
    expect(b.state(1000)).toBe('half_open');
    const trial = b.acquire(1000)!;
    expect(trial.trial).toBe(true);
    expect(b.acquire(1001)).toBeUndefined();
    expect(b.acquire(1002)).toBeUndefined();
    b.record(trial, 'success', 1100);
    expect(b.state(1100)).toBe('closed');
    expect(b.acquire(1100)?.trial).toBe(false);
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('re-opens on a failed trial with a doubled wait, capped', () => {
    const { b } = breaker();
    fail(b, 0, 4);
    let now = 1000;
    for (const wait of [2000, 4000, 8000, 8000]) {
      const trial = b.acquire(now)!;
      b.record(trial, 'failure', now);
      expect(b.currentWaitMs).toBe(wait);
      expect(b.state(now + wait - 1)).toBe('open');
      now += wait;
      expect(b.state(now)).toBe('half_open');
    }
  });

  it('a client-fault outcome in half-open does not close the breaker over a dead upstream', () => {
    const { b } = breaker();
    fail(b, 0, 4);
    const trial = b.acquire(1000)!;
    b.record(trial, 'neutral', 1001);
    expect(b.state(1001)).toBe('half_open');
    // The slot is free again: the next request is the trial, and its failure re-opens.
    const next = b.acquire(1002)!;
    expect(next.trial).toBe(true);
    b.record(next, 'failure', 1003);
    expect(b.state(1003)).toBe('open');
  });

  it('ignores a late success from an attempt that started before the breaker opened', () => {
    const { b } = breaker();
    const early = b.acquire(0)!;
    fail(b, 0, 4);
    expect(b.state(0)).toBe('open');
    b.record(early, 'success', 10);
    expect(b.state(10)).toBe('open');
    // Also in half-open: the stale success must not settle the trial.
    expect(b.state(1000)).toBe('half_open');
    b.record(early, 'success', 1000);
    expect(b.state(1000)).toBe('half_open');
  });

  it('neutral outcomes never count towards opening', () => {
    const { b } = breaker();
    for (let i = 0; i < 20; i += 1) b.record(b.acquire(0)!, 'neutral', 0);
    expect(b.state(0)).toBe('closed');
  });

  it('forgets failures older than the window', () => {
    const { b } = breaker();
    fail(b, 0, 3);
    b.record(b.acquire(20_000)!, 'failure', 20_000);
    expect(b.state(20_000)).toBe('closed');
  });

  it('obeys operators: forced open refuses, forced closed admits', () => {
    const { b } = breaker();
    b.forced = 'open';
    expect(b.acquire(0)).toBeUndefined();
    b.forced = 'closed';
    fail(b, 0, 10);
    expect(b.available(0)).toBe(true);
    b.forced = undefined;
    expect(b.state(0)).toBe('closed');
  });

  it('reset closes an open breaker with a clean slate: an empty window and the first wait again', () => {
    const { b, transitions } = breaker();
    fail(b, 0, 4);
    b.record(b.acquire(1000)!, 'failure', 1000);
    expect(b.currentWaitMs).toBe(2000);
    b.reset();
    expect([b.state(1001), b.available(1001), b.currentWaitMs]).toEqual(['closed', true, 1000]);
    // The failures before the reset no longer count: three more stay under the volume threshold.
    fail(b, 1001, 3);
    expect(b.state(1001)).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->open', 'open->closed']);
  });
});
