/**
 * Every rollout of the process: one control per route and rollout (control.ts), kept across config
 * reloads while the rollout is the same (its share, guard windows and step carry over), and one timer
 * that ticks them all. With Redis (state-store.ts) the tick re-reads the shared state every half second,
 * so a rollback or an operator's action on any replica reaches all of them within a second.
 */
import { randomBytes } from 'node:crypto';
import { CanaryControl, type ControlContext, type GateResult, type JudgedWindows, type RolloutPlan } from './control.js';
import type { GuardVerdict } from './guard.js';
import { MemoryStateStore, type CanaryState, type CanaryStateStore } from './state-store.js';

/** Whom the board tells (cli/start.ts: metrics and logs). */
export interface CanaryEvents {
  changed?(control: CanaryControl, previous: CanaryState): void;
  rolledBack?(control: CanaryControl, cause: string, reason: string): void;
  /** The canary starts again (resumed after a rollback, or its gate passed). */
  restarted?(control: CanaryControl): void;
  evaluated?(control: CanaryControl, verdict: GuardVerdict, windows: JudgedWindows): void;
  storeFailed?(control: CanaryControl, error: Error): void;
}

export interface BoardOptions {
  store?: CanaryStateStore;
  events?: CanaryEvents;
  /** Runs a rollout's gate suite against its canary (cli/start.ts wires the in-process eval runner). */
  runGate?: (control: CanaryControl) => Promise<GateResult>;
  /** How often controls tick; 0: never by themselves (tests call tick()). Default 500 ms. */
  tickMs?: number;
  now?: () => number;
  monotonic?: () => number;
  replica?: string;
}

export class CanaryBoard {
  readonly store: CanaryStateStore;
  private readonly controls = new Map<string, CanaryControl>();
  private readonly context: ControlContext;
  private readonly timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(options: BoardOptions = {}) {
    this.store = options.store ?? new MemoryStateStore();
    const events = options.events ?? {};
    this.context = {
      store: this.store,
      replica: options.replica ?? `${process.pid}-${randomBytes(3).toString('hex')}`,
      now: options.now ?? Date.now,
      monotonic: options.monotonic ?? (() => performance.now()),
      changed: (c, previous) => events.changed?.(c, previous),
      rolledBack: (c, cause, reason) => events.rolledBack?.(c, cause, reason),
      restarted: (c) => events.restarted?.(c),
      evaluated: (c, verdict, windows) => events.evaluated?.(c, verdict, windows),
      storeFailed: (c, error) => events.storeFailed?.(c, error),
      ...(options.runGate ? { runGate: options.runGate } : {}),
    };
    const tickMs = options.tickMs ?? 500;
    if (tickMs > 0) this.timer = setInterval(() => void this.tick(), tickMs).unref();
  }

  /** The control of a rollout: the existing one while the rollout is the same, else a new one. */
  controlFor(plan: RolloutPlan): CanaryControl {
    const existing = this.controls.get(plan.key);
    if (existing !== undefined && samePlan(existing.plan, plan)) return existing;
    // The same rollout with other guard settings or stable targets: a new control on the same stored state.
    const control = new CanaryControl(plan, this.context);
    this.controls.set(plan.key, control);
    return control;
  }

  /** Forgets rollouts the config no longer has (after a reload). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.controls.keys()) if (!keys.has(key)) this.controls.delete(key);
  }

  get all(): readonly CanaryControl[] {
    return [...this.controls.values()];
  }

  /** Ticks every control once (a tick still under way is not overlapped). */
  tick(): Promise<void> {
    this.ticking ??= Promise.all([...this.controls.values()].map((c) => c.tick())).then(
      () => void (this.ticking = undefined),
      () => void (this.ticking = undefined),
    );
    return this.ticking;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.store.close();
  }
}

function samePlan(a: RolloutPlan, b: RolloutPlan): boolean {
  const text = (p: RolloutPlan) => JSON.stringify({ ...p, canaryTargets: [...p.canaryTargets], stableTargets: [...p.stableTargets] });
  return text(a) === text(b);
}

/** A board for a Runtime built without one (tests, benchmarks): in memory, never ticking. */
export function standaloneBoard(): CanaryBoard {
  return new CanaryBoard({ tickMs: 0 });
}
