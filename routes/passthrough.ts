/**
 * `/passthrough/{provider}/...`: a provider's native endpoints (files, batches, ...) forwarded
 * untranslated. The checks, in order, for HTTP requests and WebSocket upgrades alike (prepare()):
 * shutting down (503) -> the client's gateway key (401) -> the request target against the entry's
 * prefixes (gateway/passthrough/path-policy.ts: 400 malformed, 404 unknown or not allowed) -> the
 * key's permission (403) -> the key's and the entry's request limits (429 with Retry-After) -> the
 * credential swap (gateway/passthrough/credentials.ts). Then the proxy (routes/passthrough-proxy.ts)
 * forwards to one of the provider's configured endpoints (another one when it cannot be reached and
 * the request has no body, or is an upgrade: routes/passthrough-failover.ts); the answer streams back
 * as the upstream sends it.
 * One log line and the pass-through metrics per request, whatever became of it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { admitPassthrough } from '../gateway/passthrough/admission.js';
import { keyFromSubprotocols, providerHeaders, swapCredentials } from '../gateway/passthrough/credentials.js';
import { firstAttempt, isBodyless } from '../gateway/passthrough/failover.js';
import { checkPassthroughTarget } from '../gateway/passthrough/path-policy.js';
import { passthroughTableOf } from '../gateway/passthrough/table.js';
import { requestLogger } from '../telemetry/logger.js';
import { passthroughMetrics, statusClassOf, type PassthroughRefusalReason } from '../telemetry/passthrough-metrics.js';
import { authenticate, presentedKey } from './authenticate.js';
import type { GatewayDeps } from './deps.js';
import {
  forwardingOf,
  openPassthroughs,
  passthroughProxyFor,
  setForwarding,
  upstreamIdleTimeoutMs,
  type Forwarding,
  type PassthroughProxy,
} from './passthrough-proxy.js';
import { failOver } from './passthrough-failover.js';
import { assignRequestId } from './request-id.js';

/** A pass-through the gateway refused: the OpenAI error envelope, its status and headers, and why (metrics). */
export class PassthroughRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly reason: PassthroughRefusalReason,
    /** The pass-through id when the request named a configured one, else `none` (a bounded label). */
    readonly provider: string,
  ) {
    super(reason);
    this.name = 'PassthroughRefused';
  }

  static of(error: GatewayError, reason: PassthroughRefusalReason, provider = 'none'): PassthroughRefused {
    return new PassthroughRefused(error.status, JSON.stringify(error.toBody()), error.headers ?? {}, reason, provider);
  }
}

/** 403: a key without the permission. */
function forbidden(message: string, provider: string): PassthroughRefused {
  return PassthroughRefused.of(new GatewayError('permission_denied', message), 'forbidden', provider);
}

/** Runs every check and prepares the request for the proxy, or throws PassthroughRefused. */
export async function preparePassthrough(
  deps: GatewayDeps,
  req: IncomingMessage,
  requestId: string,
  upgrade: boolean,
): Promise<Forwarding> {
  const receivedAt = performance.now();
  if (deps.state.shuttingDown)
    throw PassthroughRefused.of(new GatewayError('shutting_down', 'The gateway is shutting down; retry the request.'), 'shutting_down');
  const rt = deps.runtime.current;
  if (upgrade && presentedKey(req) === undefined) {
    // Browsers cannot set headers on a WebSocket: the key rides in a subprotocol (removed before forwarding).
    const fromProtocol = keyFromSubprotocols(req.headers['sec-websocket-protocol']);
    if (fromProtocol !== undefined) req.headers.authorization = `Bearer ${fromProtocol}`;
  }
  let key;
  try {
    key = authenticate(rt.keys, req);
  } catch (err) {
    if (err instanceof GatewayError) throw PassthroughRefused.of(err, 'unauthenticated');
    throw err;
  }
  const table = passthroughTableOf(rt);
  const decision = checkPassthroughTarget(req.url ?? '', table.prefixes);
  if (!decision.ok) {
    const provider = decision.provider ?? 'none';
    const error =
      decision.status === 404
        ? new GatewayError('unknown_url', decision.message, { bodyCode: 'passthrough_path_not_allowed' })
        : new GatewayError('invalid_request', decision.message, { bodyCode: 'invalid_passthrough_path' });
    throw PassthroughRefused.of(error, decision.reason, provider);
  }
  const { provider: id } = decision;
  const entry = table.entries.get(id)!;
  if (!table.mayUse(key, id)) {
    const allowed = table.allowedFor(key);
    throw forbidden(
      `The key '${key?.name ?? ''}' may not use pass-through '${id}'. ` +
        (allowed.length > 0 ? `It may use: ${allowed.join(', ')}.` : 'It may use none.') +
        ' (keys[].passthrough in the gateway config; a key with a routes list gets none unless listed).',
      id,
    );
  }
  try {
    await admitPassthrough(table.store, key, id, entry);
  } catch (err) {
    if (err instanceof GatewayError)
      throw PassthroughRefused.of(err, err.code === 'limits_unavailable' ? 'limits_unavailable' : 'rate_limited', id);
    throw err;
  }
  const upstreamPath = decision.query === '' ? decision.path : `${decision.path}?${decision.query}`;
  let credentials: Record<string, string>;
  try {
    credentials = await providerHeaders(entry.provider, req.method ?? 'GET', decision.path);
  } catch (err) {
    // A provider whose credentials cannot be had (a token endpoint down, a misconfiguration): the client is not at fault.
    const why = rt.redactor.redact(err instanceof Error ? err.message : String(err));
    throw PassthroughRefused.of(
      new GatewayError('upstream_auth_error', `The gateway could not prepare the credentials of provider '${id}': ${why}`),
      'upstream_credentials',
      id,
    );
  }
  swapCredentials(req.headers, credentials);
  // An upgrade's request has no body; any other request only when it says so (a streamed body cannot be replayed).
  const attempts = firstAttempt(entry.provider.pool, deps.random, upgrade || isBodyless(req.headers));
  const forwarding: Forwarding = {
    requestId,
    provider: id,
    keyName: key?.name,
    origin: new URL(attempts.tried[0]!.url).origin,
    attempts,
    connectTimeoutMs: rt.config.providers[id]?.connect_timeout_ms ?? 5_000,
    failovers: 0,
    upstreamPath,
    path: decision.path,
    receivedAt,
    status: undefined,
    timedOut: false,
    failure: undefined,
    upstreamSocket: undefined,
    onUpgraded: undefined,
  };
  setForwarding(req, forwarding);
  return forwarding;
}

/** A forward that failed: 504 when the upstream went silent too long, else 502 (refused, reset, DNS). */
export function upstreamFailure(err: Error, forwarding: Forwarding | undefined): PassthroughRefused {
  const provider = forwarding?.provider ?? 'none';
  if (forwarding?.timedOut)
    return PassthroughRefused.of(
      new GatewayError(
        'timeout',
        `The ${provider} upstream sent nothing for ${upstreamIdleTimeoutMs / 1000} s; the pass-through request was ended.`,
      ),
      'upstream_timeout',
      provider,
    );
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return PassthroughRefused.of(
    new GatewayError('upstream_error', `The ${provider} upstream could not be reached for this pass-through request (${code}).`, {
      bodyCode: 'upstream_unreachable',
    }),
    'upstream_unreachable',
    provider,
  );
}

/** Metrics and the log line of one finished pass-through (refused, answered, or a WebSocket session ended). */
export function recordPassthrough(
  deps: GatewayDeps,
  outcome: {
    requestId: string;
    method: string;
    status: number;
    provider: string;
    forwarding?: Forwarding;
    refused?: PassthroughRefused;
    websocket: boolean;
  },
): void {
  const metrics = passthroughMetrics(deps.metrics.registry);
  const provider = outcome.forwarding?.provider ?? outcome.provider;
  metrics.requests.inc({ provider, status_class: statusClassOf(outcome.status) });
  const reason = outcome.refused?.reason ?? outcome.forwarding?.failure;
  if (reason) metrics.refusals.inc({ provider, reason });
  const ms = outcome.forwarding ? performance.now() - outcome.forwarding.receivedAt : undefined;
  if (ms !== undefined && !outcome.websocket) metrics.duration.observe({ provider }, ms / 1000);
  const log = requestLogger(deps.logger);
  const level = outcome.status >= 500 ? 'warn' : 'info';
  if (!log.isLevelEnabled(level)) return;
  log[level](
    {
      requestId: outcome.requestId,
      operation: 'passthrough',
      provider,
      method: outcome.method,
      ...(outcome.forwarding ? { path: outcome.forwarding.path, key: outcome.forwarding.keyName } : {}),
      status: outcome.status,
      ...(ms !== undefined ? { ms: Math.round(ms * 10) / 10 } : {}),
      ...(outcome.websocket ? { websocket: true } : {}),
      ...(outcome.forwarding?.failovers ? { failovers: outcome.forwarding.failovers } : {}),
      ...(reason ? { error: reason } : {}),
    },
    'request',
  );
}

function answerRefusal(res: ServerResponse, refused: PassthroughRefused): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const req = res.req as IncomingMessage | undefined;
  // A body the gateway never read stays on the socket (an upload refused up front): closing is cheaper than draining it.
  const unreadBody =
    req !== undefined &&
    !req.complete &&
    ((req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined);
  res.writeHead(refused.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(refused.body),
    ...(unreadBody ? { connection: 'close' } : {}),
    ...refused.headers,
  });
  res.end(refused.body);
}

/** Forwards an HTTP request (again, after a failover); a failure comes back through onProxyError. */
function forwardHttp(deps: GatewayDeps, proxy: PassthroughProxy, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return proxy.forward(req, res, (err?: unknown) => {
    if (err) onProxyError(deps, err as Error, req, res, proxy);
  });
}

/**
 * The answer to a failed forward: another endpoint of the provider when the request may fail over
 * (routes/passthrough-failover.ts), else an answer on the response (HTTP) or a raw HTTP answer on the
 * socket (an upgrade not yet upgraded).
 */
function onProxyError(deps: GatewayDeps, err: Error, req: IncomingMessage, target: ServerResponse | Duplex, proxy: PassthroughProxy): void {
  if (failOver(deps, err, req, target, proxy, (again, res) => void forwardHttp(deps, proxy, again, res))) return;
  const forwarding = forwardingOf(req);
  const failure = upstreamFailure(err, forwarding);
  if (forwarding) forwarding.failure = failure.reason;
  if ('writeHead' in target) answerRefusal(target, failure);
  // Once upgraded, the socket carries WebSocket frames: an HTTP answer would corrupt them.
  else if (forwarding?.status === 101) target.destroy();
  else writeRawRefusal(target, failure);
}

/** An HTTP answer written on a socket that never became a WebSocket (upgrade refused), then closed. */
export function writeRawRefusal(socket: Duplex, refused: PassthroughRefused, reasonPhrase = 'Error'): void {
  if (socket.destroyed || !socket.writable) return;
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(refused.body)),
    connection: 'close',
    ...refused.headers,
  };
  const head = [`HTTP/1.1 ${refused.status} ${reasonPhrase}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  socket.end(`${head}\r\n\r\n${refused.body}`);
}

export function passthroughProxy(deps: GatewayDeps): PassthroughProxy {
  return passthroughProxyFor(deps, (err, req, target, proxy) => onProxyError(deps, err, req, target, proxy));
}

/** The Express handler of `/passthrough/*`. */
export function createPassthroughHandler(deps: GatewayDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const proxy = passthroughProxy(deps);
  return async (req, res) => {
    const requestId = assignRequestId(req, res);
    const method = req.method ?? 'GET';
    let forwarding: Forwarding;
    try {
      forwarding = await preparePassthrough(deps, req, requestId, false);
    } catch (err) {
      if (!(err instanceof PassthroughRefused)) throw err;
      answerRefusal(res, err);
      recordPassthrough(deps, { requestId, method, status: err.status, provider: err.provider, refused: err, websocket: false });
      return;
    }
    const tracked = { finished: false, end: () => res.destroy() };
    const open = openPassthroughs(deps.state);
    open.add(tracked);
    res.once('close', () => {
      tracked.finished = true;
      open.delete(tracked);
      // A client that left before the answer was complete is a 499, as the inference requests count it.
      const status = res.writableFinished ? res.statusCode : 499;
      recordPassthrough(deps, { requestId, method, status, provider: forwarding.provider, forwarding, websocket: false });
    });
    await forwardHttp(deps, proxy, req, res);
  };
}
