/**
 * Moves bytes to one upstream endpoint over a keep-alive undici Pool. It knows nothing of any
 * provider's format: adapters build the request, the executor reads the response. Redirects are never
 * followed (undici's request does not, and a 3xx is treated as an upstream failure), and the URL comes
 * only from the config, never from a client.
 */
import { Pool, errors as undiciErrors } from 'undici';
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { UpstreamHeaders, UpstreamHttpRequest } from '../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../adapters/upstream-error.js';

export interface TransportOptions {
  /** Connections kept to this endpoint. */
  connections: number;
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
    connections: options.connections,
    connect: { timeout: options.connectTimeoutMs },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
  });

  return {
    baseUrl,
    async request(req, signal, timeouts) {
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
