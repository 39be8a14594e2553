/**
 * Moves bytes to one upstream endpoint over a keep-alive undici Pool. It knows nothing of any
 * provider's format: adapters build the request, the executor reads the response. Redirects are never
 * followed (undici's request does not, and a 3xx is treated as an upstream failure), and the URL comes
 * only from the config, never from a client.
 *
 * Limits are the operator's, never ours: by default the pool opens as many connections as there are
 * requests (an LLM stream holds its connection for seconds to minutes, so any fixed size would turn
 * into a queue inside the gateway that ends in a timeout blamed on an upstream never asked). With
 * `max_connections` set, a request that would wait for a connection fails at once instead
 * (see `refuseAtCap`).
 */
import { Pool, errors as undiciErrors } from 'undici';
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { UpstreamHeaders, UpstreamHttpRequest } from '../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../adapters/upstream-error.js';

export interface TransportOptions {
  /** Connections to this endpoint at most; undefined: no cap. */
  connections?: number;
  connectTimeoutMs: number;
}

export interface RequestTimeouts {
  /** Longest wait for the response headers. */
  headersTimeoutMs: number;
  /** Longest silence between body chunks. */
  bodyTimeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: UpstreamHeaders;
  body: Readable;
}

/**
 * What cancels an upstream request: an AbortSignal, or the lighter EventEmitter form undici accepts
 * too (it emits 'abort' once; `aborted` and `reason` then say why).
 */
export type CancelSignal = AbortSignal | (EventEmitter & { readonly aborted: boolean; readonly reason: unknown });

export interface Transport {
  /** The endpoint's base URL, as configured (after `sim://` resolution). */
  readonly baseUrl: string;
  /** Every connection `max_connections` allows is in use (never true without a cap). */
  readonly atCap: boolean;
  request(req: UpstreamHttpRequest, signal: CancelSignal, timeouts: RequestTimeouts): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export function createTransport(baseUrl: string, options: TransportOptions): Transport {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`endpoint ${baseUrl}: only http and https URLs are supported`);
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  const pool = new Pool(url.origin, {
    // undefined: undici opens a connection whenever every open one is busy, without limit.
    connections: options.connections,
    // HTTP/2 only where TLS's ALPN agrees to it; plain http stays HTTP/1.1 (upstreams do not expect
    // h2c). With pipelining at 1 undici gives each HTTP/2 POST a connection of its own, as over
    // HTTP/1.1; multiplexing would need pipelining > 1, which would also queue requests behind long
    // streams on HTTP/1.1 connections (the protocol is only known after connecting), and undici does
    // not hold streams to the server's SETTINGS_MAX_CONCURRENT_STREAMS (nghttp2 would queue the rest).
    allowH2: url.protocol === 'https:',
    connect: { timeout: options.connectTimeoutMs },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
  });
  const cap = options.connections;

  return {
    baseUrl,
    get atCap() {
      return cap !== undefined && pool.stats.size >= cap;
    },
    async request(req, signal, timeouts) {
      // Refused before undici sees it: past the cap undici would queue the request silently.
      if (cap !== undefined) refuseAtCap(pool, cap);
      try {
        const res = await pool.request({
          method: req.method,
          path: basePath + req.path,
          headers: req.headers,
          body: req.body ?? null,
          signal,
          headersTimeout: timeouts.headersTimeoutMs,
          bodyTimeout: timeouts.bodyTimeoutMs,
        });
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (err) {
        throw classifyTransportError(err, signal);
      }
    },
    close: () => pool.close(),
  };
}

/**
 * The operator's `max_connections`, enforced by refusal rather than by waiting. A request that finds
 * every allowed connection busy fails at once as `overloaded`, naming the local cap, so the runner
 * tries the next candidate (after its usual short same-deployment retry) and the client, if nothing
 * else can take it, hears that the gateway's own limit was hit. Waiting instead, even bounded, would
 * spend the request's deadline on a queue whose end is unknowable for long streams (a slot frees only
 * when some stream finishes), and a wait cut short would still be reported as the upstream's timeout.
 *
 * Read from undici's own account, so it refuses exactly when undici would queue: each connection
 * carries one request at a time (pipelining 1, and over HTTP/2 undici never multiplexes a POST), so
 * `size`, the requests running or waiting in the pool, reaches the cap only when every allowed
 * connection is taken. A response undici has fully received frees its connection even before the
 * executor has read the body to its end. The message names no URL: clients see it.
 */
function refuseAtCap(pool: Pool, max: number): void {
  if (pool.stats.size < max) return;
  throw new UpstreamError(
    upstreamErrorOf(
      'overloaded',
      `the gateway's own connection cap is reached (max_connections: ${max}, all in use); the upstream was not asked`,
    ),
  );
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_DESTROYED',
]);

/**
 * Socket-level failures become UpstreamErrors of kind `connection` or `timeout`. An abort we caused
 * (client gone, deadline) is passed through untouched: the executor knows why it aborted.
 */
export function classifyTransportError(err: unknown, signal?: CancelSignal): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  if (err instanceof UpstreamError) return err;
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamError(upstreamErrorOf('timeout', 'no response from the upstream in time'), { cause: err });
  }
  const code = (err as { code?: string } | null)?.code ?? (err as { cause?: { code?: string } } | null)?.cause?.code;
  if (code !== undefined && connectionCodes.has(code)) {
    const what =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'UND_ERR_CONNECT_TIMEOUT'
          ? 'connect timed out'
          : `connection failed (${code})`;
    return new UpstreamError(upstreamErrorOf('connection', what), { cause: err });
  }
  return new UpstreamError(upstreamErrorOf('connection', `upstream request failed: ${(err as Error)?.message ?? String(err)}`), {
    cause: err,
  });
}
