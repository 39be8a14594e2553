/**
 * Probes deployments that are out of traffic — breaker open, or ejected — so that one that recovers
 * comes back within seconds instead of after `reset_ms`. A probe is a cheap GET on the provider's
 * health path (runtime/breaker-probes.ts builds it; never a paid completion); what a passing probe may
 * do is DeploymentHealth's and the breaker's to decide.
 *
 * One scheduler per Runtime, with at most one timer, armed only while some deployment it owns wants
 * probing: while all is well, probing costs nothing. A deployment's health wakes the scheduler that owns
 * it when its breaker opens or it is ejected (`onProbeWanted`); health carries over on reload, and the
 * new Runtime's scheduler takes it over, so a deployment is never probed twice. `stop()` (Runtime.close
 * and reload) ends every probe timer at once.
 */
import type { DeploymentHealth } from './deployment-health.js';

export type ProbeResult = 'pass' | 'fail';

export interface ProbeTarget {
  readonly deploymentId: string;
  readonly health: DeploymentHealth;
  /** Time between probes while the deployment wants them. */
  readonly intervalMs: number;
  /** One probe: resolves true when the health path answered 2xx in time; never rejects. */
  probe(): Promise<boolean>;
}

interface Entry {
  readonly target: ProbeTarget;
  /** When the next probe is due; 0 while the deployment wants none. */
  dueAt: number;
  inFlight: boolean;
}

export interface ProbeSchedulerOptions {
  /** Told of every probe's result (metrics). */
  onProbe?: (deploymentId: string, result: ProbeResult) => void;
  now?: () => number;
}

export class ProbeScheduler {
  private readonly entries = new Map<DeploymentHealth, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;
  private readonly now: () => number;
  /** One function per scheduler: what a health object calls, and how ownership is recognised. */
  readonly wake = (): void => {
    if (!this.stopped) this.schedule();
  };

  constructor(private readonly options: ProbeSchedulerOptions = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes over probing of this deployment (from a previous Runtime's scheduler, if any). */
  adopt(target: ProbeTarget): void {
    if (this.stopped) return;
    this.entries.set(target.health, { target, dueAt: 0, inFlight: false });
    target.health.onProbeWanted = this.wake;
    if (target.health.wantsProbe(this.now())) this.schedule();
  }

  /** Deployments being probed now (for tests and the admin view). */
  probing(): string[] {
    return [...this.entries.values()].filter((e) => e.dueAt > 0).map((e) => e.target.deploymentId);
  }

  /** Stops every probe; results still in flight are dropped. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const health of this.entries.keys()) if (health.onProbeWanted === this.wake) health.onProbeWanted = undefined;
    this.entries.clear();
  }

  /** Sends the probes that are due, then arms the timer for the next one (or leaves it unarmed). */
  private schedule(): void {
    const now = this.now();
    let next = Infinity;
    for (const [health, entry] of this.entries) {
      if (health.onProbeWanted !== this.wake) {
        // A newer Runtime took this deployment over.
        this.entries.delete(health);
        continue;
      }
      if (!health.wantsProbe(now)) {
        entry.dueAt = 0;
        continue;
      }
      // The first probe waits one interval: the deployment has just failed.
      if (entry.dueAt === 0) entry.dueAt = now + entry.target.intervalMs;
      if (now >= entry.dueAt && !entry.inFlight) this.send(entry, now);
      if (!entry.inFlight) next = Math.min(next, entry.dueAt);
    }
    this.arm(next, now);
  }

  private send(entry: Entry, now: number): void {
    entry.inFlight = true;
    entry.dueAt = now + entry.target.intervalMs;
    void entry.target.probe().then((passed) => {
      entry.inFlight = false;
      if (this.stopped || this.entries.get(entry.target.health) !== entry) return;
      this.options.onProbe?.(entry.target.deploymentId, passed ? 'pass' : 'fail');
      if (passed) entry.target.health.probePassed(this.now());
      this.schedule();
    });
  }

  private arm(at: number, now: number): void {
    if (at === this.timerAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.schedule();
      },
      Math.max(0, at - now),
    );
    // Probes never keep the process alive (shutdown also stops them).
    this.timer.unref();
  }
}
