/**
 * HTTP upgrades (WebSocket) on a gateway listener. Only `/passthrough/{provider}/...` on the API
 * surface may upgrade (the OpenAI Realtime API: `/passthrough/openai/v1/realtime?model=...`); it runs
 * the same checks as a pass-through HTTP request (routes/passthrough.ts: key, path, permission,
 * limits, credential swap; the key may also come as the `openai-insecure-api-key.<key>` subprotocol
 * browsers send), then the proxy forwards the upgrade to the provider's endpoint and pipes the two
 * sockets. Every other upgrade, and every refused one, gets an HTTP error answer on the socket, which
 * then closes: nothing hangs. Open sessions are tracked so graceful shutdown can end them.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { passthroughMount } from '../gateway/passthrough/path-policy.js';
import { passthroughMetrics } from '../telemetry/passthrough-metrics.js';
import type { Surface } from './app.js';
import type { GatewayDeps } from './deps.js';
import { openPassthroughs, type Forwarding } from './passthrough-proxy.js';
import { PassthroughRefused, passthroughProxy, preparePassthrough, recordPassthrough, writeRawRefusal } from './passthrough.js';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const reasonPhrases: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function refuse(socket: Duplex, refused: PassthroughRefused): void {
  writeRawRefusal(socket, refused, reasonPhrases[refused.status] ?? 'Error');
}

/** The listener for a server's `upgrade` event. */
export function createUpgradeListener(deps: GatewayDeps, surface: Surface): UpgradeListener {
  const proxy = surface === 'ops' ? undefined : passthroughProxy(deps);
  return (req, socket, head) => {
    // A client that vanishes mid-check must not crash the process.
    socket.on('error', () => socket.destroy());
    const requestId = `req_${randomUUID().replaceAll('-', '')}`;
    const method = req.method ?? 'GET';
    if (!proxy || !(req.url ?? '').startsWith(passthroughMount)) {
      const refused = PassthroughRefused.of(
        new GatewayError(
          'unknown_url',
          `This URL does not accept a protocol upgrade (${method} ${(req.url ?? '').split('?')[0]!.slice(0, 200)}). WebSockets are served under /passthrough/{provider}/ on the API listener.`,
          {
            bodyCode: 'unknown_url',
          },
        ),
        'malformed',
      );
      refuse(socket, refused);
      return;
    }
    void (async () => {
      let forwarding: Forwarding;
      try {
        forwarding = await preparePassthrough(deps, req, requestId, true);
      } catch (err) {
        const refused =
          err instanceof PassthroughRefused
            ? err
            : PassthroughRefused.of(
                new GatewayError('internal_error', `The gateway hit an unexpected error on upgrade ${requestId}.`),
                'malformed',
              );
        if (!(err instanceof PassthroughRefused)) deps.logger.error({ err, requestId }, 'unexpected error on a pass-through upgrade');
        refuse(socket, refused);
        recordPassthrough(deps, { requestId, method, status: refused.status, provider: refused.provider, refused, websocket: true });
        return;
      }
      if (socket.destroyed) return;
      const metrics = passthroughMetrics(deps.metrics.registry);
      const open = openPassthroughs(deps.state);
      let counted = false;
      const tracked = {
        finished: false,
        end: () => {
          socket.destroy();
          forwarding.upstreamSocket?.destroy();
        },
      };
      open.add(tracked);
      socket.once('close', () => {
        tracked.finished = true;
        open.delete(tracked);
        // The other side goes too: a WebSocket is a pair of sockets.
        forwarding.upstreamSocket?.destroy();
        if (counted) metrics.websockets.dec({ provider: forwarding.provider });
        const status = forwarding.status ?? (forwarding.failure ? 502 : 499);
        recordPassthrough(deps, { requestId, method, status, provider: forwarding.provider, forwarding, websocket: true });
      });
      // Counted once the upstream accepted (its 101 is on the way to the client).
      forwarding.onUpgraded = () => {
        counted = true;
        metrics.websockets.inc({ provider: forwarding.provider });
      };
      proxy.upgrade(req, socket, head);
    })();
  };
}
