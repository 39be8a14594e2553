/**
 * The pass-through's proxy: one http-proxy-middleware instance per gateway, shared by the HTTP
 * handler (routes/passthrough.ts) and the upgrade listener (routes/passthrough-upgrade.ts). It never
 * decides anything: by the time a request reaches it, the checks have run and left a Forwarding on
 * the request (upstream origin, checked path); the proxy's router and path rewrite read only that,
 * so no header and no part of the client's URL can choose the upstream. It streams both ways (no
 * body is read), `changeOrigin` makes the Host header the upstream's, no X-Forwarded-* is added.
 *
 * It also keeps the open pass-throughs of a server state, for graceful shutdown (routes/shutdown.ts).
 */
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { connectTimeoutCode, type EndpointAttempts } from '../gateway/passthrough/failover.js';
import type { PassthroughRefusalReason } from '../telemetry/passthrough-metrics.js';
import type { GatewayDeps, ServerState } from './deps.js';

/** What the checks decided for one request: where it goes and what it is, for metrics and the log line. */
export interface Forwarding {
  readonly requestId: string;
  /** The pass-through id (a provider id): a bounded label. */
  readonly provider: string;
  /** The configured key's name, or undefined on an open gateway. */
  readonly keyName: string | undefined;
  /** e.g. https://api.openai.com: the origin of the provider endpoint in use (another one after a failover). */
  origin: string;
  /** The provider's endpoints this request went to, and whether it may fail over (gateway/passthrough/failover.ts). */
  readonly attempts: EndpointAttempts;
  /** The provider's `connect_timeout_ms`: a new upstream connection not open by then fails (and may fail over). */
  readonly connectTimeoutMs: number;
  /** The checked path and query as sent upstream (the query is never logged). */
  readonly upstreamPath: string;
  /** The checked path alone, for the log line. */
  readonly path: string;
  readonly receivedAt: number;
  /** The upstream's status (101 for an accepted upgrade); undefined until it answered. */
  status: number | undefined;
  /** Set when the upstream went silent for longer than the idle timeout. */
  timedOut: boolean;
  /** How many times the request went to another endpoint because the one in use could not be reached. */
  failovers: number;
  /** Set when the forward failed (the upstream unreachable or silent): the gateway answered instead. */
  failure: PassthroughRefusalReason | undefined;
  /** The upstream side of an upgraded WebSocket. */
  upstreamSocket: Duplex | undefined;
  /** Told when the upstream accepted the upgrade (the WebSocket is open). */
  onUpgraded: (() => void) | undefined;
}

/** One open pass-through as shutdown sees it. */
export interface OpenPassthrough {
  readonly finished: boolean;
  /** Ends it now (the grace is over): the client's connection and the upstream's. */
  end(): void;
}

/** How long an upstream may stay silent on a pass-through HTTP request (WebSockets are not bounded). */
export const upstreamIdleTimeoutMs = 300_000;

const forwardings = new WeakMap<IncomingMessage, Forwarding>();
const open = new WeakMap<ServerState, Set<OpenPassthrough>>();
const proxies = new WeakMap<GatewayDeps, PassthroughProxy>();

export function forwardingOf(req: IncomingMessage): Forwarding | undefined {
  return forwardings.get(req);
}

export function setForwarding(req: IncomingMessage, forwarding: Forwarding): void {
  forwardings.set(req, forwarding);
}

/** The open pass-throughs of a server (HTTP requests under way and WebSocket sessions). */
export function openPassthroughs(state: ServerState): Set<OpenPassthrough> {
  let set = open.get(state);
  if (!set) {
    set = new Set();
    open.set(state, set);
  }
  return set;
}

export interface PassthroughProxy {
  /** Forwards an HTTP request over a kept-alive connection to its upstream (http or https). */
  forward(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): Promise<void>;
  /** Forwards a WebSocket upgrade over a connection of its own. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/**
 * Fails the upstream request when its new connection is not open within `ms` (Node's http client has
 * no connect timeout of its own; an unanswered SYN would wait for the OS, minutes). A reused
 * keep-alive connection is already open: nothing to arm. Exported for its test.
 */
export function armConnectTimeout(proxyReq: ClientRequest, ms: number): void {
  const arm = (socket: Socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error(`connect timed out after ${ms} ms`);
      err.code = connectTimeoutCode;
      proxyReq.destroy(err);
    }, ms);
    const clear = () => clearTimeout(timer);
    socket.once('connect', clear);
    socket.once('close', clear);
  };
  if (proxyReq.socket) arm(proxyReq.socket as Socket);
  else proxyReq.once('socket', arm);
}

/**
 * The gateway's proxy. `onError` answers a failed forward (another endpoint, or 502 unreachable, 504
 * idle timeout) on the response, or on the raw socket for an upgrade; it is handed the proxy so it
 * can forward again.
 */
export function passthroughProxyFor(
  deps: GatewayDeps,
  onError: (err: Error, req: IncomingMessage, target: ServerResponse | Duplex, proxy: PassthroughProxy) => void,
): PassthroughProxy {
  let proxy = proxies.get(deps);
  if (proxy) return proxy;
  const create = (agent: HttpAgent | false) =>
    createProxyMiddleware<IncomingMessage, ServerResponse>({
      // Replaced per request by the router; a syntactically valid placeholder nobody is sent to.
      target: 'http://127.0.0.1:9',
      router: (req) => forwardings.get(req)!.origin,
      pathRewrite: (_path, req) => forwardings.get(req)!.upstreamPath,
      changeOrigin: true,
      xfwd: false,
      // Idle upstream connections are kept for the next request (a connection per request costs a
      // handshake, and TLS, each time); a WebSocket gets its own (agent false).
      agent,
      ws: false,
      proxyTimeout: upstreamIdleTimeoutMs,
      // Our own handlers only: no console logger, no default error page.
      ejectPlugins: true,
      plugins: [
        (server) => {
          server.on('proxyReq', (proxyReq, req) => {
            const f = forwardings.get(req);
            if (f) armConnectTimeout(proxyReq, f.connectTimeoutMs);
            proxyReq.once('timeout', () => {
              if (f) f.timedOut = true;
            });
          });
          server.on('proxyRes', (proxyRes, req) => {
            const f = forwardings.get(req);
            if (f) f.status = proxyRes.statusCode;
          });
          server.on('proxyReqWs', (proxyReq, req) => {
            const f = forwardings.get(req);
            if (f) armConnectTimeout(proxyReq, f.connectTimeoutMs);
            proxyReq.once('response', (res) => {
              if (f) f.status = res.statusCode;
            });
            proxyReq.once('upgrade', (_res, socket) => {
              if (!f) return;
              f.status = 101;
              f.upstreamSocket = socket;
              f.onUpgraded?.();
            });
          });
          server.on('error', (err, req, target) => onError(err, req, target as ServerResponse | Duplex, proxy!));
        },
      ],
    });
  const plain: RequestHandler<IncomingMessage, ServerResponse> = create(false);
  const overHttp = create(new HttpAgent({ keepAlive: true, scheduling: 'lifo' }));
  const overHttps = create(new HttpsAgent({ keepAlive: true, scheduling: 'lifo' }));
  proxy = {
    forward: (req, res, next) => (forwardings.get(req)!.origin.startsWith('https:') ? overHttps : overHttp)(req, res, next),
    upgrade: (req, socket, head) => plain.upgrade(req, socket as never, head),
  };
  proxies.set(deps, proxy);
  return proxy;
}
