/**
 * Where the gateway listens, and what decided it (logged at start-up, so a port or host that comes
 * from an unexpected place is visible). Precedence, highest first:
 *   port: --port, then $PORT, then server.port, then 8080;
 *   host: --host, then $HOST, then server.host, then 127.0.0.1 in open mode (no `keys:`: anyone who
 *         reaches the port may use the upstreams) or 0.0.0.0 when client keys are configured.
 */
import type { Config } from '../config/schema.js';

export interface ListenAddress {
  host: string;
  /** What chose the host: `--host`, `HOST`, `server.host`, or a default with its reason. */
  hostFrom: string;
  port: number;
  portFrom: string;
}

/** A host or port some caller chose (a flag, the environment, a test), with its name for the log. */
export interface GivenAddress {
  host?: { value: string; from: string };
  port?: { value: number; from: string };
  /** Whether the config file wrote server.port (else the schema's default 8080 is in the config). */
  portWritten?: boolean;
}

export const openModeHost = '127.0.0.1';
export const keyedHost = '0.0.0.0';

export function chooseListenAddress(config: Config, given: GivenAddress = {}): ListenAddress {
  const { server } = config;
  const host = given.host
    ? { host: given.host.value, hostFrom: given.host.from }
    : server.host !== undefined
      ? { host: server.host, hostFrom: 'server.host' }
      : config.keys.length > 0
        ? { host: keyedHost, hostFrom: 'the default with client keys' }
        : { host: openModeHost, hostFrom: 'the default in open mode' };
  const port = given.port
    ? { port: given.port.value, portFrom: given.port.from }
    : { port: server.port, portFrom: given.portWritten === false ? 'the default' : 'server.port' };
  return { ...host, ...port };
}

/** A port written as text (a flag or $PORT): an integer 0..65535, else undefined. */
export function parsePort(text: string): number | undefined {
  const port = Number(text);
  return /^\d+$/.test(text.trim()) && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}
