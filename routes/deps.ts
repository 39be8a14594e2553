/** What the HTTP layer is given at startup: built once, shared by every handler. */
import type { Logger } from 'pino';
import type { RuntimeHolder } from '../gateway/runtime/holder.js';
import type { TelemetrySink } from '../telemetry/sink.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';

export interface ServerState {
  /** Set on SIGTERM: readiness fails and new API requests get 503 while in-flight ones finish. */
  shuttingDown: boolean;
  /** API requests being handled now (for graceful shutdown). */
  inFlight: number;
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
}
