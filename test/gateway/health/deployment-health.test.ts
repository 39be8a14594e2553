/** Outlier ejection, cooldowns and the retry budget of one deployment. */
import { describe, expect, it } from 'vitest';
import { DeploymentHealth, verdictOf } from '../../../gateway/health/deployment-health.js';

const breaker = { error_percent: 50, min_requests: 1000, window_ms: 10_000, reset_ms: 1000, max_reset_ms: 8000, probe_interval_ms: 100 };
const outlier = { consecutive_failures: 3, base_ejection_ms: 1000, max_ejection_ms: 2500 };

function health() {
  const ejections: number[] = [];
  const h = new DeploymentHealth(
    breaker,
    outlier,
    () => undefined,
    (ms) => ejections.push(ms),
  );
  const attempt = (verdict: 'success' | 'failure' | 'neutral', now: number) => h.record(h.acquire(now)!, verdict, now);
  return { h, ejections, attempt };
}

describe('outlier ejection', () => {
  it('ejects after consecutive failures, for longer on each repeat, capped', () => {
    const { h, ejections, attempt } = health();
    for (let i = 0; i < 3; i += 1) attempt('failure', 0);
    expect(h.available(0)).toBe(false);
    expect(h.ejected(999)).toBe(true);
    // Ejection only demotes the deployment in plans; asked to ignore it, it is available.
    expect(h.available(999, true)).toBe(true);
    expect(h.available(1000)).toBe(true);
    for (let i = 0; i < 3; i += 1) attempt('failure', 1000);
    for (let i = 0; i < 3; i += 1) attempt('failure', 3000);
    expect(ejections).toEqual([1000, 2000, 2500]);
  });

  it('a success in between resets the count; client faults and rate limits never count', () => {
    const { h, ejections, attempt } = health();
    attempt('failure', 0);
    attempt('failure', 0);
    attempt('success', 0);
    attempt('failure', 0);
    attempt('failure', 0);
    for (const kind of ['bad_request', 'context_length', 'content_filter', 'rate_limited', 'aborted'] as const)
      h.record(h.acquire(0)!, verdictOf(kind), 0);
    expect(ejections).toEqual([]);
    expect(h.available(0)).toBe(true);
  });

  it('forgets past ejections after a healthy period', () => {
    const { h, ejections, attempt } = health();
    for (let i = 0; i < 3; i += 1) attempt('failure', 0);
    attempt('success', 5000);
    for (let i = 0; i < 3; i += 1) attempt('failure', 6000);
    expect(ejections).toEqual([1000, 1000]);
    expect(h.ejections).toBe(1);
  });
});

describe('cooldown and retry budget', () => {
  it('refuses attempts until the Retry-After has passed', () => {
    const { h } = health();
    h.coolDown(0, 500);
    expect(h.acquire(499)).toBeUndefined();
    expect(h.acquire(500)).toBeDefined();
  });

  it('keeps retries under the budget share of recent requests, with a small floor', () => {
    const { h } = health();
    for (let i = 0; i < 100; i += 1) h.countRequest(0);
    let granted = 0;
    for (let i = 0; i < 50; i += 1) if (h.takeRetry(0, 10)) granted += 1;
    expect(granted).toBe(10);
    const quiet = health().h;
    let floor = 0;
    for (let i = 0; i < 10; i += 1) if (quiet.takeRetry(0, 10)) floor += 1;
    expect(floor).toBe(3);
  });
});
