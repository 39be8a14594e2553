/**
 * Everything the router knows about one deployment's health, in one place: live stats, the circuit
 * breaker, a rate-limit cooldown (no attempt before the upstream's Retry-After), the retry budget, and
 * an operator's drain. Planning asks `available`; the executor reports every attempt's outcome here.
 */
import type { BreakerConfig } from '../config/schema.js';
import { CircuitBreaker, type BreakerState, type Permit, type Verdict } from './breaker.js';
import { DeploymentStats, WindowCounter } from './stats.js';
import type { UpstreamErrorKind } from './upstream-error.js';

/** Client faults say nothing about the deployment; a 429 is its quota, handled by the cooldown instead. */
const neutralKinds: ReadonlySet<UpstreamErrorKind> = new Set(['bad_request', 'context_length', 'content_filter', 'rate_limited']);

export function verdictOf(outcome: 'success' | 'aborted' | UpstreamErrorKind): Verdict {
  if (outcome === 'success') return 'success';
  if (outcome === 'aborted' || neutralKinds.has(outcome)) return 'neutral';
  return 'failure';
}

/** Retries allowed even on a deployment with little recent traffic. */
const minRetriesPerWindow = 3;

export class DeploymentHealth {
  readonly stats = new DeploymentStats();
  readonly breaker: CircuitBreaker;
  /** No attempt before this time (performance.now()): the upstream's Retry-After. */
  cooldownUntil = 0;
  /** Set by an operator: no new requests, in-flight ones finish. */
  drained = false;
  private readonly budgetWindow = new WindowCounter(10_000);

  constructor(breaker: BreakerConfig, onTransition: (from: BreakerState, to: BreakerState) => void) {
    this.breaker = new CircuitBreaker(
      { errorPercent: breaker.error_percent, minRequests: breaker.min_requests, windowMs: breaker.window_ms, resetMs: breaker.reset_ms, maxResetMs: breaker.max_reset_ms },
      onTransition,
    );
  }

  available(now: number): boolean {
    return !this.drained && now >= this.cooldownUntil && this.breaker.available(now);
  }

  /** Permission for one attempt, or undefined (breaker open, trial taken, cooling down, drained). */
  acquire(now: number): Permit | undefined {
    if (this.drained || now < this.cooldownUntil) return undefined;
    return this.breaker.acquire(now);
  }

  coolDown(now: number, ms: number): void {
    this.cooldownUntil = Math.max(this.cooldownUntil, now + ms);
  }

  /** Counts a first attempt (a request) for the retry budget. */
  countRequest(now: number): void {
    this.budgetWindow.add(false, now);
  }

  /** Takes one retry from the budget: retries stay under `percent` of recent requests. */
  takeRetry(now: number, percent: number): boolean {
    const { attempts: requests, failures: retries } = this.budgetWindow.totals(now);
    if (retries >= Math.max(minRetriesPerWindow, (requests - retries) * (percent / 100))) return false;
    this.budgetWindow.add(true, now);
    return true;
  }
}
