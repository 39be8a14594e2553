/**
 * What the gateway tells telemetry: facts about requests, attempts and deployment health, in the
 * gateway's own terms. A sink decides how they are counted (Prometheus today, OpenTelemetry spans
 * next). The gateway holds one sink; `combineSinks` fans out to several and costs nothing when none
 * listens. Nothing here may receive a key, a user id or a prompt.
 */
import type { Usage } from '../adapters/types.js';
import type { UpstreamErrorKind } from '../adapters/upstream-error.js';
import type { Price } from './cost.js';

export type AttemptOutcome = 'success' | UpstreamErrorKind | 'aborted';

/** The part of a deployment telemetry reads (the gateway's DeploymentRuntime has it). */
export interface DeploymentRef {
  readonly id: string;
  readonly provider: { readonly id: string };
  readonly price: Price;
}

export interface RequestRecord {
  route: string;
  operation: string;
  deployment: DeploymentRef | undefined;
  status: number;
  durationMs: number;
  stream: boolean;
  usage: Usage | undefined;
}

export interface CanaryWindowStats {
  readonly errorRate: number | undefined;
  readonly latencyP95Ms: number | undefined;
  readonly ttftP95Ms: number | undefined;
  readonly costPerRequestUsd: number | undefined;
}

export interface TelemetrySink {
  /** A request was routed (it has a route) and is being served. */
  requestStarted(route: string): void;
  /** The request's work is over: answered, failed or abandoned (pairs with requestStarted). */
  requestEnded(route: string): void;
  /** Every request, routed or not, once its response is complete. */
  requestFinished(record: RequestRecord): void;
  attemptFinished(route: string, deployment: DeploymentRef, outcome: AttemptOutcome): void;
  /** A stream's first chunk went to the client, `sinceRequestMs` after the request arrived. */
  firstToken(route: string, deployment: DeploymentRef, sinceRequestMs: number): void;
  failover(route: string, from: DeploymentRef, to: DeploymentRef): void;
  retried(route: string, deployment: DeploymentRef): void;
  /** A hedge (a second try started while the first had no first token) was decided: its deployment won or lost. */
  hedged(route: string, deployment: DeploymentRef, result: 'won' | 'lost'): void;
  streamFailed(route: string, deployment: DeploymentRef, kind: string): void;
  clientAborted(route: string): void;
  breakerChanged(deploymentId: string, from: string, to: string): void;
  ejected(deploymentId: string): void;
  /** A deployment's upstream stated its context window (tokens) in a context-length error. */
  contextWindowLearned(deploymentId: string, tokens: number): void;
  /** An answer named another model than the deployment's pinned one (`served`: a bounded label, or `other`). */
  modelDrift(deploymentId: string, served: string): void;
  /** A request on a route with a canary was assigned a variant (stable or canary). */
  canaryRequest(route: string, variant: string): void;
  /** A route's canary changed status or share (gateway/canary/control.ts). */
  canaryChanged(route: string, status: string, percent: number): void;
  /** This replica rolled a route's canary back; cause: the guard metric that regressed, or manual. */
  canaryRolledBack(route: string, cause: string): void;
  /** The guard's window of one variant at an evaluation (undefined: no sample of that measure). */
  canaryWindow(route: string, variant: string, window: CanaryWindowStats): void;
  /** One side of a shadowed request finished (primary: the client's answer; shadow: the discarded copy). */
  shadowFinished(
    route: string,
    side: 'primary' | 'shadow',
    outcome: 'success' | 'error' | 'skipped',
    durationMs?: number,
    outputTokens?: number,
  ): void;
  /** A request was refused by a configured limit (scope: key, route or deployment; limit: rpm, tpm, usd_day…). */
  limitRefused(route: string, scope: string, limit: string): void;
  /** Where limits are counted changed (redis, memory, fallback_open, fallback_closed). */
  limitsStoreMode(mode: string): void;
  /** A deployment out of traffic (breaker open, ejected) was probed on its health path. */
  breakerProbe(deploymentId: string, result: 'pass' | 'fail'): void;
  endpointHealth(provider: string, endpoint: string, healthy: boolean): void;
  /** A GPU pool was saturated (every endpoint full, `reason` the commonest why) and the request went to the route's next candidate. */
  poolSpilled(route: string, deployment: DeploymentRef, reason: string): void;
  /** The config in effect was loaded: at start (`reload` false) or by a hot reload of the file. */
  configLoaded(reload: boolean): void;
  /** A hot reload was refused (the file is invalid or no Runtime could be built); the previous config serves on. */
  configReloadFailed(): void;
}

const ignore = (): void => undefined;

/** A sink that does nothing: what the gateway holds when nothing listens. */
export const silentSink: TelemetrySink = {
  requestStarted: ignore,
  requestEnded: ignore,
  requestFinished: ignore,
  attemptFinished: ignore,
  firstToken: ignore,
  failover: ignore,
  retried: ignore,
  hedged: ignore,
  streamFailed: ignore,
  clientAborted: ignore,
  breakerChanged: ignore,
  ejected: ignore,
  contextWindowLearned: ignore,
  modelDrift: ignore,
  limitRefused: ignore,
  canaryRequest: ignore,
  canaryChanged: ignore,
  canaryRolledBack: ignore,
  canaryWindow: ignore,
  shadowFinished: ignore,
  limitsStoreMode: ignore,
  breakerProbe: ignore,
  endpointHealth: ignore,
  poolSpilled: ignore,
  configLoaded: ignore,
  configReloadFailed: ignore,
};

/** One sink for many: the only one itself when there is one (no fan-out cost), silence when none. */
export function combineSinks(sinks: readonly TelemetrySink[]): TelemetrySink {
  if (sinks.length === 0) return silentSink;
  if (sinks.length === 1) return sinks[0]!;
  const fan = {} as Record<keyof TelemetrySink, (...args: never[]) => void>;
  for (const name of Object.keys(silentSink) as Array<keyof TelemetrySink>) {
    const targets = sinks.map((s) => (s[name] as (...args: unknown[]) => void).bind(s));
    fan[name] = (...args: unknown[]) => {
      for (const target of targets) target(...args);
    };
  }
  return fan as unknown as TelemetrySink;
}
