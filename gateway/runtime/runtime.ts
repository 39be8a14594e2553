/**
 * A Runtime: everything built from one validated Config (build.ts), swapped whole on reload (holder.ts).
 */
import type { Config } from '../../config/schema.js';
import type { BreakerState } from '../health/breaker.js';
import type { DriftEvent } from '../health/model-drift.js';
import type { ProbeResult, ProbeScheduler } from '../health/probe-scheduler.js';
import type { Endpoint } from '../../upstream/endpoint-pool.js';
import type { KeyIndex } from '../access/keys.js';
import type { SecretRedactor } from '../errors/secret-redactor.js';
import type { AttemptRunner } from '../execute/attempt-runner.js';
import type { Limiter } from '../limits/admission.js';
import type { LimitStore } from '../limits/store.js';
import type { CanaryBoard } from '../canary/board.js';
import type { DeploymentRuntime, ProviderRuntime, RouteRuntime } from './types.js';

export interface Runtime {
  readonly config: Config;
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  readonly routes: ReadonlyMap<string, RouteRuntime>;
  readonly keys: KeyIndex;
  readonly redactor: SecretRedactor;
  /** Runs every attempt of every request (execute/attempt-runner.ts), composed once. */
  readonly attemptRunner: AttemptRunner;
  readonly bodyLimitBytes: number;
  /** Unix seconds when this Runtime was built (the `created` of /v1/models entries). */
  readonly createdAt: number;
  /** Probes deployments whose breaker is open or that are ejected (stopped on swap and on close). */
  readonly breakerProbes: ProbeScheduler;
  /** Admits requests against key, route and deployment limits; undefined when no limit and no key is configured. */
  readonly limiter: Limiter | undefined;
  close(): Promise<void>;
}

export type PoolEvent =
  | { kind: 'member'; provider: string; url: string; ready: boolean; reason: string | undefined }
  | { kind: 'discovery_error'; provider: string; source: string; message: string };

export interface BuildOptions {
  /** Maps a configured endpoint URL to a real one (the embedded simulators' `sim://NAME`). */
  resolveEndpoint?: (url: string) => string;
  /** Told of every breaker state change (metrics, logs). */
  onBreakerTransition?: (deploymentId: string, from: BreakerState, to: BreakerState) => void;
  /** Told of every probe of a deployment whose breaker is open or that is ejected. */
  onBreakerProbe?: (deploymentId: string, result: ProbeResult) => void;
  /** Told of every outlier ejection. */
  onEjected?: (deploymentId: string, forMs: number) => void;
  /** A deployment's upstream stated a context window (differing from what it stated before). */
  onContextWindowLearned?: (deploymentId: string, tokens: number, configured: number | undefined) => void;
  /** An answer named another model than the deployment's pinned one (health/model-drift.ts). */
  onModelDrift?: (deploymentId: string, event: DriftEvent, pinned: string) => void;
  /** Told when an active health check finds an endpoint down or back up. */
  onEndpointHealth?: (providerId: string, endpoint: Endpoint, healthy: boolean) => void;
  /** A GPU pool's member became ready or left, or its discovery failed (gpu-pool/). */
  onPoolEvent?: (event: PoolEvent) => void;
  /** Where limits are counted (memory, or Redis shared by replicas); it outlives Runtimes. Unset: a memory store. */
  limitStore?: LimitStore;
  /** Told of every request refused by a configured limit. */
  onLimitRefused?: (route: string, scope: string, limit: string) => void;
  /** Every canary rollout of the process (gateway/canary/board.ts); it outlives Runtimes. Unset: one that never ticks. */
  canaries?: CanaryBoard;
  /** The Runtime being replaced: live state carries over from it (see the header). */
  previous?: Runtime;
}
