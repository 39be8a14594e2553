/**
 * The one place that records what happened to a request and each of its attempts: metrics now,
 * spans and usage records as they land. The executor and routes report facts; this decides how they
 * are counted. Cost is computed here, from the deployment's price and the upstream's reported usage.
 */
import type { Usage } from '../adapters/types.js';
import type { UpstreamErrorKind } from '../adapters/upstream-error.js';
import type { DeploymentRuntime } from '../gateway/runtime/types.js';
import type { GatewayMetrics } from './metrics.js';

export type AttemptOutcome = 'success' | UpstreamErrorKind | 'aborted';

export interface RequestRecord {
  route: string;
  operation: string;
  deployment: DeploymentRuntime | undefined;
  status: number;
  durationMs: number;
  stream: boolean;
  usage: Usage | undefined;
}

const statusClasses = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

const breakerStateValue: Record<string, number> = { closed: 0, half_open: 1, open: 2 };

export function statusClass(status: number): string {
  return statusClasses[Math.floor(status / 100)] ?? 'other';
}

export function costUsd(usage: Usage, deployment: DeploymentRuntime): number {
  return (usage.promptTokens * deployment.price.inputPerMTok + usage.completionTokens * deployment.price.outputPerMTok) / 1e6;
}

/** Label sets recur (a few routes × deployments × outcomes): resolve each metric child once, not per request. */
function childCache<T>(make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let child = cache.get(key);
    if (child === undefined) {
      child = make(key);
      cache.set(key, child);
    }
    return child;
  };
}

export class Telemetry {
  private readonly attemptChild;
  private readonly requestChild;
  private readonly durationChild;

  constructor(readonly metrics: GatewayMetrics) {
    this.attemptChild = childCache((key) => metrics.attempts.labels(...(key.split('\u0000') as [string, string, string, string])));
    this.requestChild = childCache((key) => metrics.requests.labels(...(key.split('\u0000') as [string, string, string, string])));
    this.durationChild = childCache((key) => metrics.requestDuration.labels(...(key.split('\u0000') as [string, string, string, string, string])));
  }

  requestStarted(route: string): void {
    this.metrics.inFlight.inc({ route });
  }

  requestEnded(route: string): void {
    this.metrics.inFlight.dec({ route });
  }

  requestFinished(r: RequestRecord): void {
    const deployment = r.deployment?.id ?? 'none';
    const status_class = statusClass(r.status);
    const key = `${r.route}\u0000${r.operation}\u0000${deployment}\u0000${status_class}`;
    this.requestChild(key).inc();
    this.durationChild(`${key}\u0000${r.stream ? 'true' : 'false'}`).observe(r.durationMs / 1000);
    if (r.usage && r.deployment) {
      this.metrics.tokens.inc({ route: r.route, deployment, type: 'input' }, r.usage.promptTokens);
      this.metrics.tokens.inc({ route: r.route, deployment, type: 'output' }, r.usage.completionTokens);
      const cost = costUsd(r.usage, r.deployment);
      if (cost > 0) this.metrics.costUsd.inc({ route: r.route, deployment }, cost);
    }
  }

  attemptFinished(route: string, deployment: DeploymentRuntime, outcome: AttemptOutcome): void {
    this.attemptChild(`${route}\u0000${deployment.id}\u0000${deployment.provider.id}\u0000${outcome}`).inc();
  }

  firstToken(route: string, deployment: DeploymentRuntime, sinceRequestMs: number): void {
    this.metrics.timeToFirstToken.observe({ route, deployment: deployment.id }, sinceRequestMs / 1000);
  }

  failover(route: string, from: DeploymentRuntime, to: DeploymentRuntime): void {
    this.metrics.failovers.inc({ route, from: from.id, to: to.id });
  }

  retried(route: string, deployment: DeploymentRuntime): void {
    this.metrics.retries.inc({ route, deployment: deployment.id });
  }

  breakerChanged(deploymentId: string, from: string, to: string): void {
    this.metrics.breakerState.set({ deployment: deploymentId }, breakerStateValue[to] ?? 0);
    this.metrics.breakerTransitions.inc({ deployment: deploymentId, from, to });
  }

  endpointHealth(provider: string, endpoint: string, healthy: boolean): void {
    this.metrics.endpointHealthy.set({ provider, endpoint }, healthy ? 1 : 0);
  }

  ejected(deploymentId: string): void {
    this.metrics.ejections.inc({ deployment: deploymentId });
  }

  clientAborted(route: string): void {
    this.metrics.clientAborts.inc({ route });
  }

  streamFailed(route: string, deployment: DeploymentRuntime, kind: string): void {
    this.metrics.streamErrors.inc({ route, deployment: deployment.id, kind });
  }
}
