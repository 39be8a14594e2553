/**
 * Everything the router knows about one deployment's health, in one place: live stats, the circuit
 * breaker, a rate-limit cooldown (no attempt before the upstream's Retry-After), the retry budget, an
 * operator's drain, and model drift (model-drift.ts). Planning asks `available`; the executor reports
 * every attempt's outcome here.
 */
import type { BreakerConfig, OutlierConfig } from '../../config/schema.js';
import { CircuitBreaker, type BreakerState, type Permit, type Verdict } from './breaker.js';
import { DeploymentStats, WindowCounter } from './stats.js';
import { ModelDrift } from './model-drift.js';
import type { UpstreamErrorKind } from '../../adapters/upstream-error.js';

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
  /** Answers served by another model than the pinned one; `held` keeps the deployment out of plans. */
  readonly drift = new ModelDrift();
  /** Ejected (passive outlier detection) until this time. */
  ejectedUntil = 0;
  /** Ejections so far, less one for each healthy base period since: the next ejection's multiplier. */
  ejections = 0;
  /**
   * The context window the upstream itself stated in its last context-length error (tokens). It says
   * what the server runs now, so it wins over the config's `context_window` (gateway/routing/context-window.ts).
   */
  get learnedContextWindow(): number | undefined {
    return this.learnedWindow;
  }
  private learnedWindow: number | undefined = undefined;
  /**
   * Called when the deployment starts to want active probes (its breaker opened, it was ejected). Set by
   * the probe scheduler of the Runtime that owns this health now (health carries over on reload).
   */
  onProbeWanted: (() => void) | undefined = undefined;
  private consecutiveFailures = 0;
  /** The last ejection was ended early by a passing probe, and no success has come since. */
  private ejectionEndedByProbe = false;
  /** False once a deployment was ejected again right after a probe ended its ejection early. */
  private ejectionProbesTrusted = true;
  private readonly budgetWindow = new WindowCounter(10_000);

  constructor(
    breaker: BreakerConfig,
    private readonly outlier: OutlierConfig,
    onTransition: (from: BreakerState, to: BreakerState) => void,
    private readonly onEjected: (forMs: number) => void = () => undefined,
    private readonly onWindowLearned: (tokens: number) => void = () => undefined,
  ) {
    this.breaker = new CircuitBreaker(
      {
        errorPercent: breaker.error_percent,
        minRequests: breaker.min_requests,
        windowMs: breaker.window_ms,
        resetMs: breaker.reset_ms,
        maxResetMs: breaker.max_reset_ms,
      },
      (from, to) => {
        onTransition(from, to);
        if (to === 'open') this.onProbeWanted?.();
      },
    );
  }

  /**
   * Whether planning may include this deployment now. Ejection only demotes a deployment in plans
   * (plan.ts); breakers, cooldowns and drains also refuse attempts.
   */
  available(now: number, ignoreEjection = false): boolean {
    return (
      !this.drained &&
      !this.drift.held &&
      now >= this.cooldownUntil &&
      (ignoreEjection || now >= this.ejectedUntil) &&
      this.breaker.available(now)
    );
  }

  /** The upstream stated its context window (a context-length error): kept, and told once per change. */
  learnContextWindow(tokens: number): void {
    if (tokens === this.learnedWindow) return;
    this.learnedWindow = tokens;
    this.onWindowLearned(tokens);
  }

  ejected(now: number): boolean {
    return now < this.ejectedUntil;
  }

  /** Permission for one attempt, or undefined (breaker open, trial taken, cooling down, drained, held for drift). */
  acquire(now: number): Permit | undefined {
    if (this.drained || this.drift.held || now < this.cooldownUntil) return undefined;
    return this.breaker.acquire(now);
  }

  /** An attempt's outcome, for the breaker and for outlier ejection. */
  record(permit: Permit, verdict: Verdict, now: number): void {
    this.breaker.record(permit, verdict, now);
    if (verdict === 'neutral') return;
    if (verdict === 'success') {
      this.consecutiveFailures = 0;
      this.ejectionEndedByProbe = false;
      this.ejectionProbesTrusted = true;
      // Healthy for a base period after the last ejection ended: the next ejection is shorter again.
      if (this.ejections > 0 && now >= this.ejectedUntil + this.outlier.base_ejection_ms) this.ejections -= 1;
      return;
    }
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures < this.outlier.consecutive_failures || now < this.ejectedUntil) return;
    this.consecutiveFailures = 0;
    // Probes said it was back, yet it failed its way out again: let this ejection run its course.
    if (this.ejectionEndedByProbe) this.ejectionProbesTrusted = false;
    this.ejectionEndedByProbe = false;
    this.ejections += 1;
    const forMs = Math.min(this.outlier.max_ejection_ms, this.outlier.base_ejection_ms * this.ejections);
    this.ejectedUntil = now + forMs;
    this.onEjected(forMs);
    this.onProbeWanted?.();
  }

  /** Whether an active probe could bring the deployment back sooner: breaker open, or ejected. */
  wantsProbe(now: number): boolean {
    // A passing probe says nothing about which model answers: drift waits for the operator.
    if (this.drained || this.drift.held) return false;
    return this.breaker.waitingForTrial(now) || (this.ejected(now) && this.ejectionProbesTrusted);
  }

  /**
   * A probe of the health path passed: an open breaker goes half-open (one real trial; breaker.ts says
   * when probes are no longer believed), and an ejection ends, unless probes already ended one that
   * the deployment failed its way back into.
   */
  probePassed(now: number): void {
    this.breaker.probePassed(now);
    if (this.ejected(now) && this.ejectionProbesTrusted) {
      this.ejectedUntil = now;
      this.ejectionEndedByProbe = true;
    }
  }

  /** An operator holds the breaker open (no traffic) or closed (traffic whatever the errors). */
  force(state: 'open' | 'closed'): void {
    this.breaker.forced = state;
  }

  /** An operator drains the deployment: no new attempts; in-flight ones finish. */
  drain(): void {
    this.drained = true;
  }

  /** Undoes every override and temporary exclusion: forced breaker, drain, drift hold, cooldown, ejection. */
  /**
   * A fresh start: everything restore() clears, and the breaker closed with an empty window. For a canary
   * an operator restarts after a rollback: the failures that rolled it back have been judged already.
   */
  reset(): void {
    this.restore();
    this.breaker.reset();
  }

  restore(): void {
    this.breaker.forced = undefined;
    this.drained = false;
    this.drift.held = false;
    this.cooldownUntil = 0;
    this.ejectedUntil = 0;
    // A breaker that the override had held may be open by the numbers: probes resume.
    this.onProbeWanted?.();
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
