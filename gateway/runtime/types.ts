/**
 * What a Runtime is made of: providers, deployments and routes, with every lookup the hot path needs
 * prepared once (built by build.ts). Everything here is read-only except each deployment's `health`.
 * The Runtime itself is in runtime.ts.
 */
import type { CanaryControl } from '../canary/control.js';
import type { CanaryConfig, Capability, ContinuationConfig, HedgeConfig, RetriesConfig, RouteConfig } from '../../config/schema.js';
import type { DeploymentHealth } from '../health/deployment-health.js';
import type { DriftCheck } from '../health/model-drift.js';
import type { StrategyState } from '../routing/strategies/index.js';
import type { Operation, ProviderAdapter, ProviderSettings, UpstreamTarget } from '../../adapters/types.js';
import type { EndpointPool } from '../../upstream/endpoint-pool.js';
import type { GpuPool } from '../../gpu-pool/pool.js';
import type { SubjectLimits } from '../limits/policy.js';
import type { UpstreamShaper } from '../limits/upstream-shaper.js';

export interface ProviderRuntime {
  readonly id: string;
  readonly type: string;
  readonly adapter: ProviderAdapter;
  readonly settings: ProviderSettings;
  readonly pool: EndpointPool;
  /** Set when the provider is a GPU pool routed on its servers' metrics (`pool`): the same object as `pool`. */
  readonly gpuPool?: GpuPool | undefined;
}

export interface Price {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

export interface DeploymentRuntime {
  readonly id: string;
  readonly provider: ProviderRuntime;
  /** Prepared once: what adapters need to address this deployment. */
  readonly target: UpstreamTarget;
  readonly price: Price;
  readonly contextWindow: number | undefined;
  readonly capabilities: ReadonlySet<Capability>;
  readonly operations: ReadonlySet<Operation>;
  readonly maxConcurrency: number | undefined;
  /** The provider's own quota for this deployment (`limits`); undefined: none. */
  readonly limits: SubjectLimits | undefined;
  /** This replica's shaping of its traffic (`shaping`, bottleneck); undefined: none. */
  readonly shaper: UpstreamShaper | undefined;
  /** Live, mutable: stats, breaker, cooldown, drain, drift. */
  readonly health: DeploymentHealth;
  /**
   * What each answer's model is compared with (health/model-drift.ts): `target.model`, `on_drift` and
   * who is told. Undefined for a floating alias accepted with `allow_floating`: its answers name the
   * snapshot it points at, which is not drift.
   */
  readonly driftCheck: DriftCheck | undefined;
}

export interface Timeouts {
  readonly firstTokenMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
  /** Longest one non-stream attempt may take; undefined: only the deadline bounds it. */
  readonly perTryMs: number | undefined;
  /** The adaptive per-try limit (execute/adaptive-limit.ts); undefined: off. */
  readonly adaptive: { readonly factor: number; readonly floorMs: number } | undefined;
}

export interface RouteRuntime {
  readonly name: string;
  readonly strategy: RouteConfig['strategy'];
  readonly targets: readonly DeploymentRuntime[];
  readonly fallbacks: readonly DeploymentRuntime[];
  readonly timeouts: Timeouts;
  readonly retries: RetriesConfig;
  /** Hedged first tokens for streams (`hedge`); undefined: off, and the runner does nothing for it. */
  readonly hedge: HedgeConfig | undefined;
  /** Non-stream requests go upstream as streams (first-token and idle timeouts, continuation). */
  readonly streamUpstream: boolean;
  /** When a broken answer may be restarted elsewhere and compared (`continuation.replay`). */
  readonly replay: ContinuationConfig['replay'];
  /** Weight per target for the weighted strategy (default 1). */
  readonly weights: ReadonlyMap<string, number>;
  /** The strategy's own state (weighted round robin's running weights). */
  readonly strategyState: StrategyState;
  /** Operations at least one of the route's deployments serves. */
  readonly operations: ReadonlySet<Operation>;
  /** Limits of the whole route (`limits`); undefined: none. */
  readonly limits: SubjectLimits | undefined;
  /** The route's canary (`canary`, routing/canary.ts); undefined: none. */
  readonly canary: CanaryRuntime | undefined;
  /** Some deployment of it is on a GPU pool (`providers.<id>.pool`): plans check for spill. */
  readonly hasGpuPool: boolean;
  /** Copies of a share of requests to another deployment (`shadow`, gateway/canary/shadow.ts); undefined: none. */
  readonly shadow: ShadowRuntime | undefined;
}

export interface ShadowRuntime {
  readonly deployment: DeploymentRuntime;
  /** Share of requests copied, 0..1. */
  readonly share: number;
  readonly maxInFlight: number;
  /** The route as a copy plans it: the shadow deployment alone, no retries, no hedge. */
  readonly view: RouteRuntime;
  /** Copies under way (carried over a reload while the shadow is the same). */
  readonly inFlight: { count: number };
}

/** A route's canary (`canary`): how requests are assigned (routing/canary.ts) and the canary variant's plan. */
export interface CanaryRuntime {
  /** The rollout's live share, guard and state (gateway/canary/control.ts); `control.buckets` of 10 000 go to the canary. */
  readonly control: CanaryControl;
  readonly sticky: CanaryConfig['sticky'];
  readonly salt: string;
  /** The header a `header:<name>` sticky reads, lower-cased. */
  readonly header: string | undefined;
  /** The route as the canary variant plans it: canary targets, then the stable targets and fallbacks. */
  readonly view: RouteRuntime;
}
