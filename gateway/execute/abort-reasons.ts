/**
 * Why an attempt's AbortController fired. The transport hands the reason back, so the executor can tell
 * a client that left (stop quietly) from a deadline (504) from a silent or stalled upstream (failover).
 */
export class ClientGone extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGone';
  }
}

export class DeadlineExceeded extends Error {
  constructor(readonly totalMs: number) {
    super(`the request's deadline of ${totalMs} ms passed`);
    this.name = 'DeadlineExceeded';
  }
}

/** The upstream accepted the request but sent no first token in time. */
export class FirstTokenTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no first token within ${ms} ms`);
    this.name = 'FirstTokenTimeout';
  }
}

/** A non-stream attempt took longer than the route's per-try limit (`timeouts.per_try_ms`). */
export class TryTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within the per-try limit of ${ms} ms`);
    this.name = 'TryTimeout';
  }
}

/** A try took far longer than its deployment usually does for its size (adaptive-limit.ts). */
export class SlowTry extends Error {
  constructor(
    readonly ms: number,
    until: 'answer' | 'first-token',
  ) {
    super(
      `no ${until === 'answer' ? 'answer' : 'first token'} within ${ms} ms, several times what this deployment usually takes for a request this size`,
    );
    this.name = 'SlowTry';
  }
}

/** The upstream stream went silent for too long. */
export class StreamIdle extends Error {
  constructor(readonly ms: number) {
    super(`the stream stalled: no chunk for ${ms} ms`);
    this.name = 'StreamIdle';
  }
}

/** Another try of the same request produced its first token first (hedging): this one is cancelled. */
export class HedgeLost extends Error {
  constructor() {
    super('another try produced the first token first');
    this.name = 'HedgeLost';
  }
}
