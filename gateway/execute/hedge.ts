/**
 * Hedged first tokens (`routes.<name>.hedge`, streams only). The walk is the runner's — same
 * candidates, same decisions after a failure (remainingAfter) — but when the current try has no first
 * token after the hedge delay, the next candidate is started too, within its retry budget
 * (DeploymentHealth.takeRetry). The first try to produce a token claims the client's stream (only it
 * may call sink.open); the other is cancelled at once with HedgeLost, which the chain records as
 * `aborted`: not a failure, not against its breaker. At most one hedge is in flight. Both tries run
 * through the one attempt chain (runner.tryDeployment), so each is permitted, counted and timed.
 *
 * The delay is fixed (`after_ms`) or the primary deployment's `after_percentile` of time to first
 * token, estimated from its peak-EWMA as if first tokens were exponentially distributed
 * (p-quantile = -ln(1 - p) x mean); a deployment with no TTFT sample yet is not hedged.
 * Routes without `hedge` never come here (executeStream checks once per request).
 */
import type { HedgeConfig } from '../../config/schema.js';
import type { DeploymentRuntime } from '../runtime/types.js';
import { HedgeLost } from './abort-reasons.js';
import { remainingAfter, skippedTooLong, type Attempt, type AttemptRun, type AttemptRunner, type HedgeLane } from './attempt-runner.js';

/** How long the primary may go without a first token before a hedge starts; undefined: no hedge. */
export function hedgeDelayMs(policy: HedgeConfig, deployment: DeploymentRuntime, now: number): number | undefined {
  if (policy.after_ms !== undefined) return policy.after_ms;
  const ttft = deployment.health.stats.snapshot(now).ttftMs;
  return ttft === undefined ? undefined : ttft * -Math.log(1 - (policy.after_percentile ?? 95) / 100);
}

class Lane implements HedgeLane {
  private cancelHandle: { abort(reason: Error): void } | undefined;
  private lost: HedgeLost | undefined;

  constructor(
    readonly deployment: DeploymentRuntime,
    private readonly race: Race,
  ) {}

  attach(control: { abort(reason: Error): void }): void {
    this.cancelHandle = control;
    if (this.lost) control.abort(this.lost);
  }

  claimFirstToken(): boolean {
    return this.race.claim(this);
  }

  get hedgedWith(): string | undefined {
    return this.race.hedgedWith;
  }

  cancel(): void {
    this.lost ??= new HedgeLost();
    this.cancelHandle?.abort(this.lost);
  }
}

type Settled<T> = { lane: Lane; ok: true; value: T } | { lane: Lane; ok: false; err: unknown };

class Race {
  winner: Lane | undefined;
  /** The hedge in flight (its result not yet counted). */
  hedge: Lane | undefined;
  hedgedWith: string | undefined;
  readonly lanes = new Set<Lane>();

  constructor(private readonly run: AttemptRun) {}

  claim(lane: Lane): boolean {
    if (this.winner !== undefined) return this.winner === lane;
    this.winner = lane;
    for (const other of this.lanes) if (other !== lane) other.cancel();
    this.decideHedge(lane === this.hedge ? 'won' : 'lost');
    return true;
  }

  decideHedge(result: 'won' | 'lost'): void {
    if (this.hedge === undefined) return;
    this.hedgedWith = this.hedge.deployment.id;
    this.run.ctx.telemetry.hedged(this.run.ctx.route.name, this.hedge.deployment, result);
    this.hedge = undefined;
  }
}

export async function runHedged<T>(
  runner: AttemptRunner,
  run: AttemptRun,
  planned: readonly DeploymentRuntime[],
  attempt: Attempt<T>,
  policy: HedgeConfig,
): Promise<{ value: T; deployment: DeploymentRuntime }> {
  const { route } = run.ctx;
  const race = new Race(run);
  let queue = planned.slice();
  const settled: Array<Settled<T>> = [];
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let hedgeDue = false;

  const launch = (deployment: DeploymentRuntime): Lane => {
    const lane = new Lane(deployment, race);
    race.lanes.add(lane);
    runner.tryDeployment(deployment, run, attempt, { hedge: lane }).then(
      (value) => {
        settled.push({ lane, ok: true, value });
        wake?.();
      },
      (err: unknown) => {
        settled.push({ lane, ok: false, err });
        wake?.();
      },
    );
    return lane;
  };

  const startHedge = (): void => {
    if (race.winner !== undefined || race.hedge !== undefined || race.lanes.size !== 1) return;
    while (queue.length > 0) {
      const deployment = queue[0]!;
      if (skippedTooLong(run, deployment)) {
        queue.shift();
        continue;
      }
      if (!deployment.health.takeRetry(performance.now(), route.retries.budget_percent)) return;
      queue.shift();
      race.hedge = launch(deployment);
      return;
    }
  };

  const startPrimary = (): boolean => {
    clearTimeout(timer);
    hedgeDue = false;
    while (queue.length > 0) {
      const deployment = queue.shift()!;
      if (skippedTooLong(run, deployment)) continue;
      launch(deployment);
      const delay = queue.length > 0 ? hedgeDelayMs(policy, deployment, performance.now()) : undefined;
      if (delay !== undefined) {
        timer = setTimeout(() => {
          hedgeDue = true;
          startHedge();
        }, delay);
      }
      return true;
    }
    return false;
  };

  try {
    if (!startPrimary()) throw run.failures.toGatewayError(route.name, run.ctx.redact);
    for (;;) {
      if (settled.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const done = settled.shift()!;
      race.lanes.delete(done.lane);
      if (done.ok) return { value: done.value, deployment: done.lane.deployment };
      if (done.err instanceof HedgeLost) continue;
      if (done.lane === race.hedge) race.decideHedge('lost');
      queue = remainingAfter(done.err, done.lane.deployment, queue, run);
      if (race.lanes.size === 0) {
        if (!startPrimary()) throw run.failures.toGatewayError(route.name, run.ctx.redact);
      } else if (hedgeDue) {
        startHedge();
      }
    }
  } finally {
    clearTimeout(timer);
    for (const lane of race.lanes) lane.cancel();
  }
}
