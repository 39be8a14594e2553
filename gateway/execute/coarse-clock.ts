/**
 * One shared ticker for the long deadlines of many requests (total deadline, first token, stream idle).
 * A per-request setTimeout costs a timer-list insertion and a closure per request; here a request adds
 * one small object to a Set and a single unref'd interval sweeps them. Resolution is `tickMs`, plenty
 * for deadlines measured in seconds.
 */
export interface ClockTimer {
  readonly at: number;
}

interface Entry extends ClockTimer {
  at: number;
  fire: () => void;
}

export class CoarseClock {
  private readonly entries = new Set<Entry>();
  private interval: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 25) {}

  /** Calls `fire` once, no earlier than `at` (performance.now() time) and at most one tick later. */
  schedule(at: number, fire: () => void): ClockTimer {
    const entry: Entry = { at, fire };
    this.entries.add(entry);
    if (this.interval === undefined) {
      this.interval = setInterval(() => this.sweep(), this.tickMs);
      this.interval.unref();
    }
    return entry;
  }

  cancel(timer: ClockTimer | undefined): void {
    if (timer === undefined) return;
    this.entries.delete(timer as Entry);
    if (this.entries.size === 0) this.stop();
  }

  get pending(): number {
    return this.entries.size;
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.entries) {
      if (entry.at <= now) {
        this.entries.delete(entry);
        entry.fire();
      }
    }
    if (this.entries.size === 0) this.stop();
  }

  private stop(): void {
    if (this.interval !== undefined) {
      clearInterval(this.interval);
      this.interval = undefined;
    }
  }
}

/** The process-wide clock used by the executor. */
export const sharedClock = new CoarseClock();
