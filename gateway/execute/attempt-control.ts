/**
 * One attempt's own cancel signal, linked to the client and to the request's deadline, with the
 * attempt's first-token and idle timers on the shared coarse clock. Opossum-style shared abort
 * controllers are avoided on purpose: one attempt's timeout must never abort another's.
 */
import { EventEmitter } from 'node:events';
import { ClientGone, DeadlineExceeded, FirstTokenTimeout, StreamIdle, TryTimeout } from './abort-reasons.js';
import type { ClientLink } from './client-link.js';
import { sharedClock, type ClockTimer } from './coarse-clock.js';

/**
 * Cancels one attempt, in the EventEmitter form undici accepts as `signal`: Node's AbortController and
 * its EventTarget cost ~25 µs an attempt (`--cpu-prof`), an emitter a fraction of that. The first
 * abort wins; its reason tells the executor why.
 */
export class AttemptSignal extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

export class AttemptControl {
  readonly signal = new AttemptSignal();
  private readonly unlinkClient: () => void;
  private deadlineTimer: ClockTimer | undefined;
  private firstTokenTimer: ClockTimer | undefined;
  private idleTimer: ClockTimer | undefined;
  private checkTimer: ClockTimer | undefined;
  private idleMs = 0;
  private lastActivity = 0;

  constructor(client: ClientLink, deadlineAt: number, totalMs: number) {
    this.unlinkClient = client.onLeave(() => this.signal.abort(new ClientGone()));
    this.deadlineTimer = sharedClock.schedule(deadlineAt, () => this.signal.abort(new DeadlineExceeded(totalMs)));
  }

  /** Abort unless a first token arrives by `at`. */
  armFirstToken(at: number, ms: number): void {
    this.firstTokenTimer = sharedClock.schedule(at, () => this.signal.abort(new FirstTokenTimeout(ms)));
  }

  /**
   * Abort unless the whole attempt is over by `at` (the route's per-try limit). It takes the first-token
   * timer's slot: a non-stream attempt has no first token.
   */
  armTryLimit(at: number, ms: number): void {
    this.firstTokenTimer = sharedClock.schedule(at, () => this.signal.abort(new TryTimeout(ms)));
  }

  /**
   * At `at`, asks `decide` whether the attempt has taken too long: an error aborts it, a time asks again
   * then (the adaptive per-try limit). Ends with the first token, like the first-token timer.
   */
  armCheck(at: number, decide: (now: number) => number | Error): void {
    this.checkTimer = sharedClock.schedule(at, () => {
      const next = decide(performance.now());
      if (typeof next === 'number') this.armCheck(next, decide);
      else this.signal.abort(next);
    });
  }

  firstTokenArrived(): void {
    sharedClock.cancel(this.firstTokenTimer);
    sharedClock.cancel(this.checkTimer);
    this.firstTokenTimer = undefined;
    this.checkTimer = undefined;
  }

  /** From now on, abort when no activity() is reported for `ms`. */
  armIdle(ms: number): void {
    this.idleMs = ms;
    this.lastActivity = performance.now();
    this.scheduleIdle();
  }

  /** A chunk arrived: cheap (no timer work); the idle timer re-checks when it fires. */
  activity(): void {
    this.lastActivity = performance.now();
  }

  private scheduleIdle(): void {
    this.idleTimer = sharedClock.schedule(this.lastActivity + this.idleMs, () => {
      if (performance.now() - this.lastActivity >= this.idleMs) this.signal.abort(new StreamIdle(this.idleMs));
      else this.scheduleIdle();
    });
  }

  abort(reason: Error): void {
    this.signal.abort(reason);
  }

  dispose(): void {
    this.unlinkClient();
    sharedClock.cancel(this.deadlineTimer);
    sharedClock.cancel(this.firstTokenTimer);
    sharedClock.cancel(this.idleTimer);
    sharedClock.cancel(this.checkTimer);
  }
}
