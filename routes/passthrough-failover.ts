/**
 * Sends a pass-through again, to another endpoint of its provider, when the endpoint in use could not
 * be reached before anything came back (gateway/passthrough/failover.ts says when that is allowed and
 * which endpoint is next: a request without a body or a WebSocket upgrade, each endpoint once). The
 * client sees only the answer of the endpoint that worked; each failover is counted
 * (`switchyard_passthrough_failovers_total`) and logged, and the request's log line says how many.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { currentEndpoint, isUnreachable, nextAttempt } from '../gateway/passthrough/failover.js';
import { passthroughMetrics } from '../telemetry/passthrough-metrics.js';
import type { GatewayDeps } from './deps.js';
import { forwardingOf, type PassthroughProxy } from './passthrough-proxy.js';

/**
 * After a failed forward: whether it went to another endpoint (true: the failure is handled) or must
 * be answered as it is (false: not an unreachable endpoint, something already came back, a body that
 * cannot be replayed, or no endpoint left).
 */
export function failOver(
  deps: GatewayDeps,
  err: Error,
  req: IncomingMessage,
  target: ServerResponse | Duplex,
  proxy: PassthroughProxy,
  forwardAgain: (req: IncomingMessage, res: ServerResponse) => void,
): boolean {
  const forwarding = forwardingOf(req);
  if (!forwarding || forwarding.timedOut || forwarding.status !== undefined || !isUnreachable(err)) return false;
  const http = 'writeHead' in target;
  if (target.destroyed || (http && target.headersSent)) return false;
  const from = new URL(currentEndpoint(forwarding.attempts).url).origin;
  const next = nextAttempt(forwarding.attempts, deps.random);
  if (!next) return false;
  forwarding.origin = new URL(next.url).origin;
  forwarding.failovers += 1;
  passthroughMetrics(deps.metrics.registry).failovers.inc({ provider: forwarding.provider });
  deps.logger.warn(
    {
      requestId: forwarding.requestId,
      operation: 'passthrough',
      provider: forwarding.provider,
      from,
      to: forwarding.origin,
      error: (err as NodeJS.ErrnoException).code,
    },
    'pass-through endpoint unreachable: trying another endpoint of the provider',
  );
  if (http) forwardAgain(req, target);
  else upgradeAgain(req, target, proxy);
  return true;
}

/**
 * http-proxy ends the client's socket right after reporting an upgrade's error (ws-incoming's
 * onOutgoingError: emit 'error', then socket.end()). That one end is skipped, by an own property
 * shadowing the socket's end() that removes itself, so the socket can carry the next try. The head
 * (bytes after the request head) was already put back on the socket by the first try: none again.
 */
function upgradeAgain(req: IncomingMessage, socket: Duplex, proxy: PassthroughProxy): void {
  const skipOnce = function (this: Duplex) {
    Reflect.deleteProperty(socket, 'end');
    return this;
  };
  Object.defineProperty(socket, 'end', { value: skipOnce, configurable: true, writable: true });
  queueMicrotask(() => {
    // Called synchronously after this error handler when http-proxy reported the error; never left in place.
    Reflect.deleteProperty(socket, 'end');
    if (!socket.destroyed) proxy.upgrade(req, socket, Buffer.alloc(0));
  });
}
