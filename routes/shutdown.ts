/**
 * Graceful shutdown, in the order a load balancer needs:
 *   1. drain delay: /health/ready answers 503 while every request is still served normally, so load
 *      balancers and Kubernetes see the replica leave and stop sending before anything is refused;
 *   2. the API listener closes (new connections are refused; a request still arriving on an open
 *      keep-alive connection gets 503 shutting_down and `Connection: close`), and in-flight requests
 *      and streams have up to the grace to finish;
 *   3. what is still open then is ended by the gateway (routes/exchange.ts: upstream attempts
 *      cancelled, a started stream ends with a shutting_down error event, anything else gets a 503;
 *      pass-through requests and WebSockets, routes/passthrough-proxy.ts, are closed), then every
 *      connection closes. The ops listener, if any, stays up to the end so metrics cover the drain.
 * A second signal (hurry) skips what is left of the delay and the grace.
 */
import type { Logger } from 'pino';
import type { ServerState } from './deps.js';
import type { ListeningServer } from './server.js';
import { openPassthroughs } from './passthrough-proxy.js';

export interface ShutdownTimes {
  /** Step 1: readiness fails, requests are still served. */
  drainDelayMs: number;
  /** Step 2: how long in-flight work may take once the listener is closed. */
  graceMs: number;
}

/** How long ended requests get to write their last bytes before connections are closed under them. */
const settleMs = 2_000;
const pollMs = 25;

export class GracefulShutdown {
  private hurried = false;
  private readonly wakers = new Set<() => void>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly state: ServerState,
    private readonly api: ListeningServer,
    private readonly ops: ListeningServer | undefined,
    private readonly logger: Logger,
  ) {}

  /** Runs the steps once; later calls return the same promise. */
  run(times: ShutdownTimes): Promise<void> {
    this.running ??= this.steps(times);
    return this.running;
  }

  /** Skips what is left of the drain delay and the grace (a second SIGTERM/SIGINT). */
  hurry(): void {
    this.hurried = true;
    for (const wake of this.wakers) wake();
  }

  private async steps({ drainDelayMs, graceMs }: ShutdownTimes): Promise<void> {
    const { state, logger } = this;
    state.draining = true;
    if (drainDelayMs > 0 && !this.hurried) {
      logger.info({ drainDelayMs }, 'shutting down: readiness fails now; still serving until the drain delay (server.drain_delay_ms) ends');
      await this.waitUntil(() => false, drainDelayMs);
    }
    state.shuttingDown = true;
    const apiClosed = this.api.stopAccepting();
    const open = state.exchanges;
    // Pass-through requests and WebSocket sessions get the same grace; then they are cut (their bytes are the upstream's).
    const passthroughs = openPassthroughs(state);
    if (open.size > 0 || passthroughs.size > 0)
      logger.info({ inFlight: open.size, passthroughs: passthroughs.size, graceMs }, 'listener closed; waiting for in-flight requests');
    await this.waitUntil(() => open.size === 0 && passthroughs.size === 0, graceMs);
    if (passthroughs.size > 0) {
      logger.warn({ passthroughs: passthroughs.size }, 'shutdown grace ran out: closing open pass-through requests and WebSockets');
      for (const p of [...passthroughs]) p.end();
    }
    if (open.size > 0) {
      logger.warn({ inFlight: open.size }, 'shutdown grace ran out: ending what is still open (503 shutting_down)');
      const interrupted = [...open];
      for (const exchange of interrupted) exchange.interrupt();
      // Their handlers write the error event or the 503; once those bytes are out, connections close.
      await this.waitUntil(() => open.size === 0 && interrupted.every((e) => e.finished), settleMs, true);
    }
    this.api.closeAllConnections();
    await apiClosed;
    if (this.ops) {
      const opsClosed = this.ops.stopAccepting();
      this.ops.closeAllConnections();
      await opsClosed;
    }
  }

  /** Resolves when `done()` holds or `ms` passed, or at once on hurry() unless `evenIfHurried`. */
  private async waitUntil(done: () => boolean, ms: number, evenIfHurried = false): Promise<void> {
    const until = performance.now() + ms;
    while (!done() && performance.now() < until && (evenIfHurried || !this.hurried)) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(pollMs, Math.max(1, until - performance.now())));
        this.wakers.add(wake);
      });
    }
  }
}
