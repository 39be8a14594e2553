/**
 * The endpoints of one provider. A cloud provider has one; a self-hosted pool (vLLM, TGI, ...) has
 * several servers of the same model. Until metric-driven scoring lands (queue depth, KV cache, prefix
 * affinity), a request goes to the less busy of two endpoints drawn at random (power of two choices):
 * it spreads load like least-in-flight without herding every request onto the same server.
 */
import { createTransport, type Transport, type TransportOptions } from './transport.js';

export interface Endpoint {
  readonly url: string;
  readonly transport: Transport;
  /** Attempts currently using this endpoint. */
  inFlight: number;
  /** False while active health checks say it is down (always true without checks). */
  healthy: boolean;
}

/** What a request tells a pool that scores its endpoints (a GPU pool); a static pool ignores it. */
export interface EndpointHint {
  readonly body: Readonly<Record<string, unknown>>;
  readonly model: string;
  readonly session: string | undefined;
}

export interface EndpointPool {
  readonly endpoints: readonly Endpoint[];
  /** Some endpoint passes its health checks (or none are checked). */
  readonly anyHealthy: boolean;
  /** Every endpoint a pick could return is at its `max_connections` (never true without a cap). */
  readonly saturated: boolean;
  /** The configured `max_connections` per endpoint; undefined: no cap. */
  readonly connectionCap: number | undefined;
  pick(random: () => number, hint?: EndpointHint): Endpoint;
  setHealthy(endpoint: Endpoint, healthy: boolean): void;
  close(): Promise<void>;
}

export function createEndpointPool(urls: readonly string[], options: TransportOptions): EndpointPool {
  if (urls.length === 0) throw new Error('an endpoint pool needs at least one endpoint');
  const endpoints: Endpoint[] = urls.map((url) => ({ url, transport: createTransport(url, options), inFlight: 0, healthy: true }));
  let healthy: readonly Endpoint[] = endpoints;
  const capped = options.connections !== undefined;
  return {
    endpoints,
    get anyHealthy() {
      return healthy.length > 0;
    },
    connectionCap: options.connections,
    get saturated() {
      return capped && (healthy.length > 0 ? healthy : endpoints).every((e) => e.transport.atCap);
    },
    pick(random) {
      // With every endpoint down the deployment is out of plans; should a request still come, try one.
      const from = healthy.length > 0 ? healthy : endpoints;
      if (from.length === 1) return from[0]!;
      // Under a connection cap, an endpoint with a free connection first.
      const open = capped ? from.filter((e) => !e.transport.atCap) : from;
      return pickLessBusy(open.length > 0 ? open : from, random);
    },
    setHealthy(endpoint, up) {
      endpoint.healthy = up;
      healthy = endpoints.filter((e) => e.healthy);
    },
    async close() {
      await Promise.all(endpoints.map((e) => e.transport.close()));
    },
  };
}

/** Power of two choices over in-flight counts; exported for its table test. */
export function pickLessBusy<T extends { inFlight: number }>(items: readonly T[], random: () => number): T {
  const n = items.length;
  const i = Math.floor(random() * n);
  let j = Math.floor(random() * (n - 1));
  if (j >= i) j += 1;
  const a = items[i]!;
  const b = items[j]!;
  if (a.inFlight !== b.inFlight) return a.inFlight < b.inFlight ? a : b;
  return random() < 0.5 ? a : b;
}
