/**
 * The endpoints of one provider. A cloud provider has one; a self-hosted pool (vLLM, TGI, ...) has
 * several servers of the same model. Until metric-driven scoring lands (queue depth, KV cache, prefix
 * affinity), a request goes to the less busy of two endpoints drawn at random (power of two choices):
 * it spreads load like least-in-flight without herding every request onto the same server.
 */
import { createTransport, type Transport, type TransportOptions } from '../adapters/transport.js';

export interface Endpoint {
  readonly url: string;
  readonly transport: Transport;
  /** Attempts currently using this endpoint. */
  inFlight: number;
}

export interface EndpointPool {
  readonly endpoints: readonly Endpoint[];
  pick(random: () => number): Endpoint;
  close(): Promise<void>;
}

export function createEndpointPool(urls: readonly string[], options: TransportOptions): EndpointPool {
  if (urls.length === 0) throw new Error('an endpoint pool needs at least one endpoint');
  const endpoints: Endpoint[] = urls.map((url) => ({ url, transport: createTransport(url, options), inFlight: 0 }));
  const only = endpoints.length === 1 ? endpoints[0] : undefined;
  return {
    endpoints,
    pick(random) {
      if (only) return only;
      return pickLessBusy(endpoints, random);
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
