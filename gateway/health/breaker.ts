/**
 * A circuit breaker per deployment: closed → open when the failure share in a rolling window reaches
 * the threshold (once enough attempts were seen); open → half-open after the reset time; half-open lets
 * exactly one trial through — its success closes, its failure re-opens with a doubled wait.
 *
 * Active probes (probe-scheduler.ts) shorten the wait: a passing probe while open moves the breaker to
 * half-open at once (`probePassed`). A probe that passed while real traffic then failed (the health path
 * answers but completions do not) is not believed again until the breaker closes: from then on a
 * passing probe opens the trial at most once per `resetMs`, so a deployment that stays down gets at most
 * one real trial per reset period, probes or not.
 *
 * Our own small state machine rather than opossum, for four behaviours of opossum 9 (measured with it) that
 * contradict what the router needs: a late success from a call started before the breaker opened closes
 * it (we tag permits with a generation and ignore stale results); a filtered client error counts as a
 * success and can close a half-open breaker over a dead upstream (here client-fault outcomes are
 * neutral: they release the trial without settling it); one shared AbortController per breaker (we
 * abort per attempt); and per-breaker interval timers (here: none, state advances lazily on use).
 */
import { WindowCounter } from './stats.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** How an attempt's outcome counts: deployment faults fail, client faults and aborts are neutral. */
export type Verdict = 'success' | 'failure' | 'neutral';

export interface BreakerOptions {
  /** Open when failures are at least this share (percent) of the window's attempts. */
  errorPercent: number;
  /** ...and the window holds at least this many attempts. */
  minRequests: number;
  windowMs: number;
  /** First wait before a trial; doubles on each failed trial up to maxResetMs. */
  resetMs: number;
  maxResetMs: number;
}

export interface Permit {
  readonly generation: number;
  readonly trial: boolean;
}

export type TransitionListener = (from: BreakerState, to: BreakerState) => void;

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private readonly window: WindowCounter;
  private openedAt = 0;
  private waitMs: number;
  private trialInFlight = false;
  private generation = 0;
  /** The current half-open period was opened early by a passing probe. */
  private openedByProbe = false;
  /** False once a probe-opened trial failed; true again when the breaker closes. */
  private probesTrusted = true;
  /** Set by operators (admin API / drills); overrides what the numbers say. */
  forced: 'open' | 'closed' | undefined;

  constructor(
    private readonly options: BreakerOptions,
    private readonly onTransition: TransitionListener = () => undefined,
  ) {
    this.window = new WindowCounter(options.windowMs);
    this.waitMs = options.resetMs;
  }

  /** The state now (an open breaker whose wait has passed reads as half-open). */
  state(now: number): BreakerState {
    if (this.current === 'open' && now - this.openedAt >= this.waitMs) this.moveTo('half_open');
    return this.current;
  }

  /** Whether a request could be sent now, without taking the trial slot (for planning). */
  available(now: number): boolean {
    if (this.forced) return this.forced === 'closed';
    const state = this.state(now);
    return state === 'closed' || (state === 'half_open' && !this.trialInFlight);
  }

  /** Takes permission to send one attempt, or undefined when the breaker refuses. */
  acquire(now: number): Permit | undefined {
    if (this.forced === 'open') return undefined;
    if (this.forced === 'closed') return { generation: this.generation, trial: false };
    const state = this.state(now);
    if (state === 'open') return undefined;
    if (state === 'half_open') {
      if (this.trialInFlight) return undefined;
      this.trialInFlight = true;
      return { generation: this.generation, trial: true };
    }
    return { generation: this.generation, trial: false };
  }

  record(permit: Permit, verdict: Verdict, now: number): void {
    if (permit.trial && permit.generation === this.generation) this.trialInFlight = false;
    // A result from an attempt that started under an earlier state says nothing about this one.
    if (permit.generation !== this.generation || verdict === 'neutral' || this.forced) return;
    if (this.current === 'half_open') {
      if (verdict === 'success') {
        this.waitMs = this.options.resetMs;
        this.probesTrusted = true;
        this.moveTo('closed');
      } else {
        if (this.openedByProbe) this.probesTrusted = false;
        this.waitMs = Math.min(this.waitMs * 2, this.options.maxResetMs);
        this.open(now);
      }
      return;
    }
    if (this.current !== 'closed') return;
    this.window.add(verdict === 'failure', now);
    if (verdict === 'failure') {
      const { attempts, failures } = this.window.totals(now);
      if (attempts >= this.options.minRequests && (failures / attempts) * 100 >= this.options.errorPercent) this.open(now);
    }
  }

  /** Open by the numbers (not forced): what active probes are for. */
  waitingForTrial(now: number): boolean {
    return this.forced === undefined && this.state(now) === 'open';
  }

  /**
   * A probe of the deployment's health path passed: an open breaker goes half-open early (one trial),
   * unless probes already misled it since it last closed and the last opening is under `resetMs` old.
   * Returns whether it did.
   */
  probePassed(now: number): boolean {
    if (!this.waitingForTrial(now)) return false;
    if (!this.probesTrusted && now - this.openedAt < this.options.resetMs) return false;
    this.moveTo('half_open');
    this.openedByProbe = true;
    return true;
  }

  /** Closed with a clean slate, as after a fresh start (an operator says the upstream was fixed). */
  reset(): void {
    this.waitMs = this.options.resetMs;
    this.probesTrusted = true;
    this.moveTo('closed');
    this.window.reset();
  }

  /** The wait before the next trial, as it stands (for the admin view). */
  get currentWaitMs(): number {
    return this.waitMs;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.moveTo('open');
  }

  private moveTo(next: BreakerState): void {
    if (next === this.current) return;
    const from = this.current;
    this.current = next;
    this.generation += 1;
    this.trialInFlight = false;
    this.openedByProbe = false;
    if (next === 'closed') this.window.reset();
    this.onTransition(from, next);
  }
}
