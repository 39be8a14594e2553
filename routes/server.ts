/**
 * The HTTP server around the app: deliberate timeouts (Node's defaults are loose), listening, and
 * graceful shutdown — stop accepting, let in-flight requests and streams finish up to a bound, then
 * close what is left.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerState } from './deps.js';

export interface ServerTimeouts {
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface ListeningServer {
  readonly server: Server;
  readonly port: number;
  readonly host: string;
  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes every connection. */
  shutdown(graceMs: number): Promise<void>;
}

export async function listen(
  onRequest: RequestListener,
  state: ServerState,
  host: string,
  port: number,
  timeouts: ServerTimeouts,
): Promise<ListeningServer> {
  const server = createServer(onRequest);
  server.headersTimeout = timeouts.headersTimeoutMs;
  // Bounds receiving a request body; it does not limit how long a response may stream.
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    port: address.port,
    host,
    async shutdown(graceMs) {
      state.shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const until = Date.now() + graceMs;
      while (state.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      server.closeAllConnections();
      await closed;
    },
  };
}
