/**
 * One inference request being answered, as graceful shutdown sees it. The server state keeps the open
 * ones; when the shutdown grace runs out, interrupt() cancels each one's upstream work through its
 * ClientLink (the same path as a client that left: attempts aborted, backoffs and continuations
 * stopped, nothing counted against a breaker), and the handler then ends the answer as the gateway's
 * doing rather than the client's: an error event on a stream already started, else a 503, and the
 * request is recorded as 503 shutting_down, never as a 499 client disconnect.
 */
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { ClientLink } from '../gateway/execute/client-link.js';

export class Exchange {
  /** Tells the request's attempts when to stop: the client left, or shutdown interrupted it. */
  readonly client = new ClientLink();
  private interruptedByShutdown = false;

  constructor(private readonly res: ServerResponse) {
    res.once('close', () => {
      if (!res.writableFinished) this.client.leave();
    });
  }

  /** The shutdown grace ran out: stop the upstream work now; the handler answers (see shutdownError). */
  interrupt(): void {
    this.interruptedByShutdown = true;
    this.client.leave();
  }

  /** Whether the response is over: fully handed to the OS, or its connection closed. */
  get finished(): boolean {
    return this.res.writableFinished || this.res.destroyed;
  }

  /**
   * The error to end this answer with, when shutdown interrupted it while the response could still say
   * so (not complete, not closed by the client: a client that left first stays a 499).
   */
  shutdownError(): GatewayError | undefined {
    if (!this.interruptedByShutdown || this.res.writableEnded || this.res.destroyed) return undefined;
    return new GatewayError(
      'shutting_down',
      'The gateway is shutting down and its grace period (server.shutdown_grace_ms) ended before this answer was complete; retry the request.',
    );
  }
}
