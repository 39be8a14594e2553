/**
 * One rollout's control: the share its route sends to the canary (`buckets`, read by every request's
 * assignment, routing/canary.ts), the guard's windows that every finished request feeds, and the state
 * machine that moves the share:
 *
 *   gating ──gate passes──▶ running (step 0) ──hold, guard holds──▶ running (step 1) … ──▶ complete | promoted
 *     │                        │  ▲                                                    (last step 100 %: promoted)
 *     └─gate fails─▶ gate_failed   pause ▼  │ resume
 *                              paused
 *   any ──guard finds a regression, or rollback──▶ rolled_back (0 %)      any ──promote──▶ promoted (100 %)
 *   rolled_back | gate_failed ──resume──▶ starts over (gate, then step 0)
 *
 * Every change goes through the state store (compare-and-set), so replicas sharing Redis agree; the
 * board (board.ts) ticks each control: it re-reads the shared state, runs the gate, evaluates the guard
 * every `guard.interval` and advances the ramp. Nothing here runs per request except `observe`.
 */
import { CanaryWindows, type CanaryObservation, type WindowSummary } from './window.js';
import { describeRegression, judge, type GuardSettings, type GuardVerdict } from './guard.js';
import { watchedStatuses, type CanaryState, type CanaryStateStore, type CanaryStatus } from './state-store.js';

export interface RampStep {
  readonly percent: number;
  readonly holdMs: number;
}

export interface GuardPlan extends GuardSettings {
  readonly windowMs: number;
  readonly intervalMs: number;
}

/** What the config says one rollout is (built from `routes.<name>.canary`). */
export interface RolloutPlan {
  readonly route: string;
  /** The route and a fingerprint of the rollout (targets, share, ramp, gate): a new one starts afresh. */
  readonly key: string;
  readonly percent: number | undefined;
  readonly ramp: readonly RampStep[] | undefined;
  readonly guard: GuardPlan | undefined;
  /** The eval suite the canary must pass first (as written in the config). */
  readonly gate: string | undefined;
  readonly canaryTargets: ReadonlySet<string>;
  readonly stableTargets: ReadonlySet<string>;
}

export type CanaryAction = 'promote' | 'rollback' | 'pause' | 'resume';
export const canaryActions: readonly CanaryAction[] = ['promote', 'rollback', 'pause', 'resume'];

export interface GateResult {
  readonly passed: boolean;
  readonly summary: string;
}

/** What a control needs from its board: the store, the clocks, and whom to tell. */
export interface ControlContext {
  readonly store: CanaryStateStore;
  /** This replica's name in the shared state. */
  readonly replica: string;
  /** Unix ms (shared between replicas: ramp holds). */
  now(): number;
  /** Monotonic ms (the guard's windows). */
  monotonic(): number;
  changed(control: CanaryControl, previous: CanaryState): void;
  rolledBack(control: CanaryControl, cause: string, reason: string): void;
  /** The canary starts (again) after a rollback, a failed gate or its gate: its deployments' health starts afresh too. */
  restarted(control: CanaryControl): void;
  /** A guard evaluation: its verdict and the windows it judged. */
  evaluated(control: CanaryControl, verdict: GuardVerdict, windows: JudgedWindows): void;
  storeFailed(control: CanaryControl, error: Error): void;
  readonly runGate?: (control: CanaryControl) => Promise<GateResult>;
}

export interface JudgedWindows {
  readonly stable: WindowSummary;
  readonly canary: WindowSummary;
}

export interface Transition {
  readonly at: number;
  readonly status: CanaryStatus;
  readonly percent: number;
  readonly step: number;
  readonly reason: string | undefined;
}

/** A gate run older than this may be taken over by another replica (its runner may have died). */
const gateLeaseMs = 10 * 60_000;

function stampless(plan: RolloutPlan, now: number, replica: string): CanaryState {
  const first = plan.ramp?.[0]?.percent ?? plan.percent ?? 0;
  const base = {
    step: plan.ramp ? 0 : -1,
    since: now,
    cause: undefined,
    gateOwner: undefined,
    gateStartedAt: undefined,
    version: 0,
    by: replica,
  };
  return plan.gate !== undefined
    ? { ...base, status: 'gating', percent: 0, reason: `waiting for the eval suite ${plan.gate} to pass` }
    : { ...base, status: 'running', percent: first, reason: undefined };
}

export class CanaryControl {
  /** Buckets of 10 000 sent to the canary: the one field the request path reads. */
  buckets = 0;
  readonly windows: CanaryWindows | undefined;
  state: CanaryState;
  lastVerdict: { at: number; verdict: GuardVerdict } | undefined;
  lastGate: (GateResult & { at: number }) | undefined;
  readonly history: Transition[] = [];
  private lastEvaluation = -Infinity;
  private gateRunning = false;
  /** A rollback decided while the store could not be written: written once it can. */
  private unsyncedRollback: { cause: string; reason: string } | undefined;

  constructor(
    readonly plan: RolloutPlan,
    private readonly ctx: ControlContext,
  ) {
    this.windows = plan.guard ? new CanaryWindows(plan.guard.windowMs) : undefined;
    // In memory the state is known at once; in Redis the canary gets nothing until the first read (≤ one tick).
    const known = ctx.store.peek?.(plan.key);
    const initial = known ?? stampless(plan, ctx.now(), ctx.replica);
    this.state = { ...initial, percent: known || !ctx.store.shared ? initial.percent : 0 };
    if (known === undefined && !ctx.store.shared) {
      const stored = { ...initial, version: 1 };
      void ctx.store.compareAndSet(plan.key, undefined, stored);
      this.state = stored;
    }
    this.buckets = Math.round(this.state.percent * 100);
    this.record(this.state);
  }

  /** Whether other replicas share this state (Redis). */
  get sharedState(): boolean {
    return this.ctx.store.shared;
  }

  /** One finished request of `variant` (hot path: a few array writes). */
  observe(variant: 'stable' | 'canary', now: number, observation: CanaryObservation): void {
    if (this.windows !== undefined && watchedStatuses.has(this.state.status)) this.windows.of(variant).observe(now, observation);
  }

  /** The board's periodic work: sync, gate, guard, ramp. */
  async tick(): Promise<void> {
    if (this.ctx.store.shared) await this.sync();
    if (this.unsyncedRollback) await this.rollBack(this.unsyncedRollback.cause, this.unsyncedRollback.reason);
    if (this.state.status === 'gating') return this.gate();
    const guard = this.plan.guard;
    const mono = this.ctx.monotonic();
    if (!watchedStatuses.has(this.state.status)) return;
    let verdict: GuardVerdict | undefined;
    if (guard !== undefined) {
      if (mono - this.lastEvaluation < guard.intervalMs) return;
      this.lastEvaluation = mono;
      const stable = this.windows!.stable.summary(mono);
      const canary = this.windows!.canary.summary(mono);
      verdict = judge(stable, canary, guard);
      this.lastVerdict = { at: this.ctx.now(), verdict };
      this.ctx.evaluated(this, verdict, { stable, canary });
      if (verdict.kind === 'regressed') return void (await this.rollBack(verdict.failed[0]!.metric, describeRegression(verdict.failed)));
    }
    if (this.state.status === 'running' && (verdict === undefined || verdict.kind === 'holds')) await this.advance();
  }

  /** An operator's action; a refusal says why. */
  async act(action: CanaryAction, reason?: string): Promise<{ ok: true } | { ok: false; message: string }> {
    const now = this.ctx.now();
    let refusal: string | undefined;
    const decide = (s: CanaryState): CanaryState | undefined => {
      refusal = undefined;
      switch (action) {
        case 'promote':
          if (s.status === 'promoted') refusal = 'the canary is already promoted';
          else return { ...s, status: 'promoted', percent: 100, since: now, reason: reason ?? 'promoted by an operator', cause: undefined };
          return undefined;
        case 'rollback':
          if (s.status === 'rolled_back') refusal = 'the canary is already rolled back';
          else
            return { ...s, status: 'rolled_back', percent: 0, since: now, reason: reason ?? 'rolled back by an operator', cause: 'manual' };
          return undefined;
        case 'pause':
          if (s.status === 'running' || s.status === 'complete')
            return { ...s, status: 'paused', since: now, reason: reason ?? 'paused by an operator' };
          refusal = `a ${s.status} canary cannot be paused (only running or complete ones)`;
          return undefined;
        case 'resume':
          if (s.status === 'paused') return { ...s, status: 'running', since: now, reason: reason ?? 'resumed by an operator' };
          if (s.status === 'rolled_back' || s.status === 'gate_failed')
            return { ...stampless(this.plan, now, this.ctx.replica), reason: reason ?? 'restarted by an operator' };
          refusal = `a ${s.status} canary cannot be resumed (only paused, rolled back or gate-failed ones)`;
          return undefined;
      }
    };
    const changed = await this.change(decide);
    if (changed) return { ok: true };
    return { ok: false, message: refusal ?? 'the canary changed meanwhile; try again' };
  }

  private async rollBack(cause: string, reason: string): Promise<void> {
    const now = this.ctx.now();
    this.unsyncedRollback = undefined;
    await this.change((s) =>
      s.status === 'rolled_back' ? undefined : { ...s, status: 'rolled_back', percent: 0, since: now, reason, cause },
    );
  }

  /** The ramp's next step, once the current one has held for its time. */
  private async advance(): Promise<void> {
    const ramp = this.plan.ramp;
    const { step, since } = this.state;
    if (ramp === undefined || step < 0) return;
    const now = this.ctx.now();
    const current = ramp[step]!;
    if (now - since < current.holdMs) return;
    const heldFor = `${Math.round((now - since) / 1000)} s at ${current.percent} %`;
    await this.change((s) => {
      if (s.status !== 'running' || s.step !== step) return undefined;
      const next = ramp[step + 1];
      if (next !== undefined) return { ...s, step: step + 1, percent: next.percent, since: now, reason: `the guard held ${heldFor}` };
      return {
        ...s,
        status: current.percent >= 100 ? 'promoted' : 'complete',
        since: now,
        reason: `ramp complete: the guard held ${heldFor}`,
      };
    });
  }

  private async gate(): Promise<void> {
    if (this.gateRunning || this.plan.gate === undefined) return;
    const runGate = this.ctx.runGate;
    const now = this.ctx.now();
    const claimed = await this.change((s) => {
      if (s.status !== 'gating') return undefined;
      if (s.gateOwner !== undefined && s.gateOwner !== this.ctx.replica && now - (s.gateStartedAt ?? 0) < gateLeaseMs) return undefined;
      return { ...s, gateOwner: this.ctx.replica, gateStartedAt: now };
    });
    if (!claimed) return;
    this.gateRunning = true;
    let result: GateResult;
    try {
      result = runGate ? await runGate(this) : { passed: false, summary: 'this gateway has no eval runner' };
    } catch (err) {
      result = { passed: false, summary: `the eval suite could not run: ${(err as Error).message}` };
    } finally {
      this.gateRunning = false;
    }
    this.lastGate = { ...result, at: this.ctx.now() };
    const done = this.ctx.now();
    const first = this.plan.ramp?.[0]?.percent ?? this.plan.percent ?? 0;
    await this.change((s) => {
      if (s.status !== 'gating' || s.gateOwner !== this.ctx.replica) return undefined;
      const base = { ...s, since: done, gateOwner: undefined, gateStartedAt: undefined };
      return result.passed
        ? { ...base, status: 'running', percent: first, reason: `gate passed: ${result.summary}`, cause: undefined }
        : { ...base, status: 'gate_failed', percent: 0, reason: `gate failed: ${result.summary}`, cause: 'gate' };
    });
  }

  /** Re-reads the shared state (Redis); a newer version replaces this replica's. */
  private async sync(): Promise<void> {
    try {
      const stored = await this.ctx.store.get(this.plan.key);
      if (stored === undefined) {
        // Nothing stored: a new rollout, or Redis lost it (restarted without persistence, evicted). What this
        // replica knows is written back, so a rolled-back canary stays rolled back.
        const known = this.state.version > 0 ? { ...this.state, version: this.state.version + 1, by: this.ctx.replica } : undefined;
        const next = known ?? { ...stampless(this.plan, this.ctx.now(), this.ctx.replica), version: 1 };
        if (await this.ctx.store.compareAndSet(this.plan.key, undefined, next)) this.apply(next);
      } else if (stored.version !== this.state.version || this.buckets !== Math.round(stored.percent * 100)) this.apply(stored);
    } catch (err) {
      this.ctx.storeFailed(this, err as Error);
    }
  }

  /**
   * Applies `decide` to the stored state and writes the result (compare-and-set, retried when another
   * replica wrote first). True when a change was made. Should the store fail, a rollback still applies
   * here at once (and is written once the store answers); other changes wait.
   */
  private async change(decide: (s: CanaryState) => CanaryState | undefined): Promise<boolean> {
    for (let tries = 0; tries < 5; tries += 1) {
      let stored: CanaryState | undefined;
      try {
        stored = await this.ctx.store.get(this.plan.key);
      } catch (err) {
        return this.changeLocally(decide, err as Error);
      }
      const current = stored ?? this.state;
      const next = decide(current);
      if (next === undefined) {
        if (stored !== undefined && stored.version !== this.state.version) this.apply(stored);
        return false;
      }
      const stamped = { ...next, version: current.version + 1, by: this.ctx.replica };
      try {
        if (await this.ctx.store.compareAndSet(this.plan.key, stored?.version, stamped)) {
          this.apply(stamped);
          return true;
        }
      } catch (err) {
        return this.changeLocally(decide, err as Error);
      }
    }
    return false;
  }

  private changeLocally(decide: (s: CanaryState) => CanaryState | undefined, error: Error): boolean {
    this.ctx.storeFailed(this, error);
    const next = decide(this.state);
    if (next === undefined || next.status !== 'rolled_back') return false;
    this.unsyncedRollback = { cause: next.cause ?? 'manual', reason: next.reason ?? 'rolled back' };
    this.apply({ ...next, version: this.state.version, by: this.ctx.replica });
    return true;
  }

  private apply(next: CanaryState): void {
    const previous = this.state;
    this.state = next;
    this.buckets = Math.round(next.percent * 100);
    // A canary that starts (again) is judged on what it does from now on, not on what rolled it back.
    if (!watchedStatuses.has(previous.status) && watchedStatuses.has(next.status)) {
      this.windows?.reset();
      this.lastVerdict = undefined;
      this.ctx.restarted(this);
    }
    if (previous.status !== next.status || previous.percent !== next.percent || previous.step !== next.step) {
      this.record(next);
      this.ctx.changed(this, previous);
      // Counted once, by the replica that decided it (the others only follow).
      if (next.status === 'rolled_back' && next.by === this.ctx.replica)
        this.ctx.rolledBack(this, next.cause ?? 'manual', next.reason ?? '');
    }
  }

  private record(s: CanaryState): void {
    this.history.push({ at: s.since, status: s.status, percent: s.percent, step: s.step, reason: s.reason });
    if (this.history.length > 20) this.history.shift();
  }
}
