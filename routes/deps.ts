/** What the HTTP layer is given at startup: built once, shared by every handler. */
import type { Logger } from 'pino';
import type { RuntimeHolder } from '../gateway/runtime/holder.js';
import type { TelemetrySink } from '../telemetry/sink.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { Exchange } from './exchange.js';

/**
 * Where the gateway is in its life. Shutdown goes serving -> draining (readiness fails, requests are
 * still served, so load balancers stop sending) -> shuttingDown (the listener is closed; requests that
 * still arrive on open connections get 503) -> gone.
 */
export interface ServerState {
  /** Set when shutdown starts: /health/ready answers 503 while requests are still served normally. */
  draining: boolean;
  /** Set when the listener closes: new API requests on open connections get 503 shutting_down. */
  shuttingDown: boolean;
  /** Inference requests being handled now: shutdown waits for them, then interrupts what is left. */
  readonly exchanges: Set<Exchange>;
  /** How many there are. */
  readonly inFlight: number;
}

export function newServerState(): ServerState {
  return {
    draining: false,
    shuttingDown: false,
    exchanges: new Set(),
    get inFlight() {
      return this.exchanges.size;
    },
  };
}

/** An in-process simulator of the demo config, as the admin API reaches it (its own /sim API). */
export interface SimulatorEndpoint {
  readonly kind: string;
  readonly model: string;
  /** e.g. http://127.0.0.1:41234 (its OpenAI base URL is this + /v1, its fault API this + /sim/faults). */
  readonly origin: string;
}

export interface GatewayDeps {
  readonly runtime: RuntimeHolder;
  readonly telemetry: TelemetrySink;
  /** The Prometheus registry behind /metrics. */
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly state: ServerState;
  readonly version: string;
  /** Randomness for endpoint picks; tests pass a seeded one. */
  readonly random: () => number;
  /** The config's in-process simulators by name (`simulators:`), for /admin/simulators; empty in production. */
  readonly simulators: ReadonlyMap<string, SimulatorEndpoint>;
  /**
   * Re-reads the config file the gateway was started from and applies it, even when its text is
   * unchanged (POST /admin/reload). Absent when the gateway was started from a config in memory.
   */
  readonly reloadConfig?: () => ReloadOutcome;
}

/** What a reload of the config file came to (cli/config-reload.ts). Errors are `file:line:col: path: message`. */
export type ReloadOutcome =
  | {
      readonly result: 'reloaded';
      readonly routes: readonly string[];
      readonly deployments: readonly string[];
      /** Sections bound at start (`server`, `redis`, `simulators`) that differ from the running ones. */
      readonly restartNeeded: readonly string[];
      readonly warnings: readonly string[];
    }
  /** The text is what was last read (a file event that changed nothing); only an unforced check says so. */
  | { readonly result: 'unchanged' }
  | { readonly result: 'invalid'; readonly errors: readonly string[] }
  /** It validated, but no Runtime could be built from it (e.g. `sim://` naming a simulator not started). */
  | { readonly result: 'build_failed'; readonly error: string };
