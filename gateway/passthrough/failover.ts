/**
 * Failover of a pass-through before the first byte: when a provider has several endpoints (a
 * self-hosted pool) and the one picked could not be reached (refused, reset, a connect that timed
 * out, a name that did not resolve), the request goes to another endpoint of the same provider, each
 * endpoint tried at most once. Only a request that can be sent again as it was may fail over: one
 * without a body (no Content-Length above 0, no Transfer-Encoding), or a WebSocket upgrade before
 * the upstream's 101. A request with a body streams it upstream as it arrives and keeps none of it,
 * so once the body may have been read it cannot be replayed: such a request is never retried.
 *
 * The failed endpoint is not marked down: the inference path does not mark endpoints on a failure
 * either, only the active health checks (`health_check`) do, and the pick already prefers the
 * endpoints they call healthy. Pure: the randomness is passed in.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { pickLessBusy, type Endpoint, type EndpointPool } from '../../upstream/endpoint-pool.js';

/** The `code` of the error a pass-through connect that took too long fails with. */
export const connectTimeoutCode = 'ECONNECTTIMEOUT';

/** Socket errors that mean the upstream never got to answer: nothing but a connection was attempted. */
const unreachableCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  connectTimeoutCode,
]);

/** Whether an error of a forward says the endpoint could not be reached (rather than anything else). */
export function isUnreachable(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && unreachableCodes.has(code);
}

/** Whether a request carries no body, so it can be sent again to another endpoint exactly as it was. */
export function isBodyless(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  return length === undefined || Number(length) === 0;
}

/** The endpoints of one pass-through request: the one in use and those already tried. */
export interface EndpointAttempts {
  readonly pool: EndpointPool;
  /** Every endpoint this request went to, in order; the last is the one in use. */
  readonly tried: Endpoint[];
  /** Whether the request may go to another endpoint after an unreachable one (see the file comment). */
  readonly replayable: boolean;
}

/** The first endpoint of a request, picked as the pool picks for inference. */
export function firstAttempt(pool: EndpointPool, random: () => number, replayable: boolean): EndpointAttempts {
  return { pool, tried: [pool.pick(random)], replayable };
}

/** The endpoint in use. */
export function currentEndpoint(attempts: EndpointAttempts): Endpoint {
  return attempts.tried[attempts.tried.length - 1]!;
}

/**
 * The endpoint to try next, recorded as tried, or undefined when none is left (or the request may not
 * be replayed). Healthy endpoints first; among them the less busy of two, as the pool picks.
 */
export function nextAttempt(attempts: EndpointAttempts, random: () => number): Endpoint | undefined {
  if (!attempts.replayable) return undefined;
  const untried = attempts.pool.endpoints.filter((e) => !attempts.tried.includes(e));
  if (untried.length === 0) return undefined;
  const healthy = untried.filter((e) => e.healthy);
  const from = healthy.length > 0 ? healthy : untried;
  const next = from.length === 1 ? from[0]! : pickLessBusy(from, random);
  attempts.tried.push(next);
  return next;
}
