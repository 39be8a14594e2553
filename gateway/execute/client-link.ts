/**
 * The client's side of one request: whether it has left, and whom to tell when it does. Used instead of
 * a request-wide AbortController because creating and subscribing to Node's AbortSignal costs tens of µs
 * per request, and only the request's own attempts and backoff sleeps ever listen.
 */
export class ClientLink {
  private left = false;
  private listeners: Array<() => void> = [];

  get gone(): boolean {
    return this.left;
  }

  /** The client closed the connection before its answer was complete. */
  leave(): void {
    if (this.left) return;
    this.left = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  /** Calls `listener` when the client leaves (at once if it has); returns the way to stop listening. */
  onLeave(listener: () => void): () => void {
    if (this.left) {
      listener();
      return () => {};
    }
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }
}
