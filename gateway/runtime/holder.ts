/**
 * The one mutable reference to the current Runtime. A reload swaps it; requests that already hold the
 * old Runtime finish on it, and its connections close once they have had time to.
 */
import type { Runtime } from './runtime.js';

export class RuntimeHolder {
  constructor(private runtime: Runtime) {}

  get current(): Runtime {
    return this.runtime;
  }

  /** Swaps in a new Runtime; the old one's connections close once its requests have had time to finish. */
  swap(next: Runtime, drainMs = 30_000): Runtime {
    const previous = this.runtime;
    this.runtime = next;
    // Probing moves to the new Runtime now (deployments it removed are no longer probed); connections wait.
    previous.breakerProbes.stop();
    const timer = setTimeout(() => {
      this.retired.delete(previous);
      void previous.close();
    }, drainMs).unref();
    this.retired.set(previous, timer);
    return previous;
  }

  /** Closes the current Runtime and every one swapped out but not yet closed. */
  async close(): Promise<void> {
    for (const timer of this.retired.values()) clearTimeout(timer);
    await Promise.all([this.runtime, ...this.retired.keys()].map((rt) => rt.close()));
    this.retired.clear();
  }

  /** Runtimes swapped out, each with the timer that closes it once its requests have had time to finish. */
  private readonly retired = new Map<Runtime, NodeJS.Timeout>();
}
