/**
 * The HTTP servers around the app: deliberate timeouts (Node's defaults are loose), listening, and the
 * steps graceful shutdown takes on each listener (routes/shutdown.ts orders them).
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerTimeouts {
  headersTimeoutMs: number;
  /** How long receiving a whole request may take (its body included); it does not limit how long a response may stream. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface ListeningServer {
  readonly server: Server;
  readonly port: number;
  /** The address actually bound, as the OS reports it: 127.0.0.1, ::1, 0.0.0.0, :: ... */
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  /** Closes the listener (new connections are refused) and idle connections; resolves when the last connection closed. */
  stopAccepting(): Promise<void>;
  /** Ends every connection now, active ones included (the grace is over). */
  closeAllConnections(): void;
}

export async function listen(onRequest: RequestListener, host: string, port: number, timeouts: ServerTimeouts): Promise<ListeningServer> {
  const server = createServer(onRequest);
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A burst of new connections (a thousand streams at once, a load balancer reconnecting) waits in the
    // kernel's accept queue instead of being dropped: Node's default backlog is 511 (the kernel caps it
    // at net.core.somaxconn).
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    server,
    port: bound.port,
    address: bound.address,
    family: bound.family === 'IPv6' ? 'IPv6' : 'IPv4',
    stopAccepting() {
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return closed;
    },
    closeAllConnections() {
      server.closeAllConnections();
    },
  };
}

/** `127.0.0.1:8080`, `[::]:8080`: an address as people write it, IPv6 in brackets. */
export function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** True for addresses only this machine can reach. */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost' || address.startsWith('::ffff:127.');
}

/** True for 0.0.0.0 and :: (every interface). */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
