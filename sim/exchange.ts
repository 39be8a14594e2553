/**
 * One request and its response, from arrival to the socket letting go: counts it in flight, then as
 * completed (fully sent) or aborted (the client left first), and owns the ways a response can be cut
 * short on purpose. Faults that act before any answer (error, hang, reset) and the non-stream forms
 * of cut and stall live here, so completions and embeddings share them.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import type { Fault } from './faults.js';
import type { ErrorDetails } from './flavor.js';

export class Exchange {
  /** The response was ended or destroyed on purpose: its close is not a client abort. */
  protected settled = false;
  private delayTimer: NodeJS.Timeout | undefined;
  private pendingBody: { status: number; body: unknown; fault: Fault | undefined } | undefined;

  /**
   * `tracked` exchanges (the /v1 operations) count in inFlight, completed and aborted; health checks,
   * metrics scrapes and unknown paths do not, so a poller never inflates what a drill measures.
   */
  constructor(
    protected readonly sim: SimContext,
    protected readonly res: ServerResponse,
    tracked = true,
  ) {
    if (!tracked) return;
    sim.counters.inFlight += 1;
    res.once('close', this.onClose);
  }

  /** Headers every response of this kind carries (the openai kind sends a request id). */
  protected baseHeaders(): OutgoingHttpHeaders {
    return this.sim.flavor.kind === 'openai' ? { 'x-request-id': this.sim.nextId('req_') } : {};
  }

  json(status: number, body: unknown, headers?: OutgoingHttpHeaders, fault?: Fault): void {
    const bytes = Buffer.from(JSON.stringify(body));
    this.res.writeHead(status, { ...this.baseHeaders(), ...headers, 'content-type': 'application/json', 'content-length': bytes.length });
    if (fault?.type === 'cut' || fault?.type === 'stall') {
      // Half the body, then the connection drops (cut) or goes quiet (stall).
      const half = bytes.subarray(0, Math.floor(bytes.length / 2));
      if (fault.type === 'cut') this.cut(half);
      else this.res.write(half);
      return;
    }
    this.settled = true;
    this.res.end(bytes);
  }

  text(status: number, contentType: string | undefined, text: string): void {
    const headers: OutgoingHttpHeaders = { ...this.baseHeaders(), 'content-length': Buffer.byteLength(text) };
    if (contentType !== undefined) headers['content-type'] = contentType;
    this.res.writeHead(status, headers);
    this.settled = true;
    this.res.end(text);
  }

  error(status: number, details?: ErrorDetails, headers?: OutgoingHttpHeaders): void {
    this.json(status, this.sim.flavor.errorBody(status, details), headers);
  }

  /** A JSON answer after `delayMs` (one timer), shaped by a non-stream cut or stall fault if given. */
  jsonAfter(delayMs: number, status: number, body: unknown, fault?: Fault): void {
    if (delayMs <= 0) {
      this.json(status, body, undefined, fault);
      return;
    }
    this.pendingBody = { status, body, fault };
    this.delayTimer = setTimeout(this.onDelay, delayMs);
  }

  /**
   * Applies a fault that acts before any answer: an error response, a hang, or a reset. True when
   * the fault took the response over and the caller must not answer.
   */
  leadingFault(fault: Fault | undefined): boolean {
    if (fault === undefined) return false;
    switch (fault.type) {
      case 'error': {
        const headers: OutgoingHttpHeaders = {};
        if (fault.retry_after_s !== undefined) headers['retry-after'] = String(Math.ceil(fault.retry_after_s));
        if (fault.retry_after_ms !== undefined) headers['retry-after-ms'] = String(Math.round(fault.retry_after_ms));
        this.error(fault.status, { message: fault.message, code: fault.code }, headers);
        return true;
      }
      case 'hang':
        // The request has been read; nothing is ever sent. The close (client or simulator) ends it.
        return true;
      case 'reset':
        this.reset();
        return true;
      default:
        return false;
    }
  }

  /** Resets the connection (TCP RST) before any byte; its close is not a client abort. */
  protected reset(): void {
    this.settled = true;
    const socket = this.res.socket;
    if (socket) socket.resetAndDestroy();
    else this.res.destroy();
  }

  /**
   * Sends the headers and `data`, then closes the connection in the middle of the body: the client
   * gets every byte written so far and then a truncated response. Its close is not a client abort.
   */
  protected cut(data: string | Uint8Array): void {
    this.settled = true;
    // headersSent turns true at writeHead, before anything is on the wire: flush to be sure they go.
    if (data.length > 0) this.res.write(data);
    else this.res.flushHeaders();
    const socket = this.res.socket;
    // end() flushes what is buffered (the response corks its socket) before the FIN; then it is gone.
    if (socket) socket.end(() => socket.destroy());
    else this.res.destroy();
  }

  /** Marks the response as ended by us, for a stream's last write. */
  protected end(text: string): void {
    this.settled = true;
    this.res.end(text);
  }

  /** Called once the response is over, however it ended; subclasses free what they hold. */
  protected closed(): void {}

  private readonly onDelay = (): void => {
    const pending = this.pendingBody;
    this.pendingBody = undefined;
    this.delayTimer = undefined;
    if (pending && !this.res.destroyed) this.json(pending.status, pending.body, undefined, pending.fault);
  };

  private readonly onClose = (): void => {
    const counters = this.sim.counters;
    counters.inFlight -= 1;
    if (this.delayTimer) clearTimeout(this.delayTimer);
    if (this.res.writableFinished) counters.completed += 1;
    else if (!this.settled) counters.aborted += 1;
    this.closed();
  };
}
