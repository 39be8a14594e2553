/**
 * The Prometheus sink: the gateway's facts as the metrics of metrics.ts. Cost is computed here, from
 * the deployment's price and the usage the upstream reported.
 */
import type { GatewayMetrics } from './metrics.js';
import { costUsd } from './cost.js';
import type { Gauge } from 'prom-client';
import type { AttemptOutcome, CanaryWindowStats, DeploymentRef, RequestRecord, TelemetrySink } from './sink.js';

const statusClasses = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

const canaryStatuses = ['gating', 'gate_failed', 'running', 'paused', 'rolled_back', 'complete', 'promoted'];

const breakerStateValue: Record<string, number> = { closed: 0, half_open: 1, open: 2 };

export function statusClass(status: number): string {
  return statusClasses[Math.floor(status / 100)] ?? 'other';
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

export class PrometheusSink implements TelemetrySink {
  private readonly attemptChild;
  private readonly requestChild;
  private readonly durationChild;

  constructor(readonly metrics: GatewayMetrics) {
    this.attemptChild = childCache((key) => metrics.attempts.labels(...(key.split('\u0000') as [string, string, string, string])));
    this.requestChild = childCache((key) => metrics.requests.labels(...(key.split('\u0000') as [string, string, string, string])));
    this.durationChild = childCache((key) =>
      metrics.requestDuration.labels(...(key.split('\u0000') as [string, string, string, string, string])),
    );
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
      const cost = costUsd(r.deployment.price, r.usage.promptTokens, r.usage.completionTokens);
      if (cost > 0) this.metrics.costUsd.inc({ route: r.route, deployment }, cost);
    }
  }

  attemptFinished(route: string, deployment: DeploymentRef, outcome: AttemptOutcome): void {
    this.attemptChild(`${route}\u0000${deployment.id}\u0000${deployment.provider.id}\u0000${outcome}`).inc();
  }

  firstToken(route: string, deployment: DeploymentRef, sinceRequestMs: number): void {
    this.metrics.timeToFirstToken.observe({ route, deployment: deployment.id }, sinceRequestMs / 1000);
  }

  failover(route: string, from: DeploymentRef, to: DeploymentRef): void {
    this.metrics.failovers.inc({ route, from: from.id, to: to.id });
  }

  retried(route: string, deployment: DeploymentRef): void {
    this.metrics.retries.inc({ route, deployment: deployment.id });
  }

  hedged(route: string, deployment: DeploymentRef, result: 'won' | 'lost'): void {
    this.metrics.hedges.inc({ route, deployment: deployment.id, result });
  }

  breakerChanged(deploymentId: string, from: string, to: string): void {
    this.metrics.breakerState.set({ deployment: deploymentId }, breakerStateValue[to] ?? 0);
    this.metrics.breakerTransitions.inc({ deployment: deploymentId, from, to });
  }

  endpointHealth(provider: string, endpoint: string, healthy: boolean): void {
    this.metrics.endpointHealthy.set({ provider, endpoint }, healthy ? 1 : 0);
  }

  poolSpilled(route: string, deployment: DeploymentRef, reason: string): void {
    this.metrics.poolSpills.inc({ route, deployment: deployment.id, reason });
  }

  ejected(deploymentId: string): void {
    this.metrics.ejections.inc({ deployment: deploymentId });
  }

  contextWindowLearned(deploymentId: string, tokens: number): void {
    this.metrics.learnedContextWindow.set({ deployment: deploymentId }, tokens);
  }

  canaryRequest(route: string, variant: string): void {
    this.metrics.canaryRequests.inc({ route, variant });
  }

  canaryChanged(route: string, status: string, percent: number): void {
    this.metrics.canaryPercent.set({ route }, percent);
    for (const s of canaryStatuses) this.metrics.canaryStatus.set({ route, status: s }, s === status ? 1 : 0);
  }

  canaryRolledBack(route: string, cause: string): void {
    this.metrics.canaryRollbacks.inc({ route, cause });
  }

  canaryWindow(route: string, variant: string, w: CanaryWindowStats): void {
    const labels = { route, variant };
    const set = (gauge: Gauge<'route' | 'variant'>, value: number | undefined): void => {
      if (value === undefined) gauge.remove(labels);
      else gauge.set(labels, value);
    };
    set(this.metrics.canaryErrorRatio, w.errorRate);
    set(this.metrics.canaryLatencyP95, w.latencyP95Ms === undefined ? undefined : w.latencyP95Ms / 1000);
    set(this.metrics.canaryTtftP95, w.ttftP95Ms === undefined ? undefined : w.ttftP95Ms / 1000);
    set(this.metrics.canaryCostPerRequest, w.costPerRequestUsd);
  }

  shadowFinished(route: string, side: 'primary' | 'shadow', outcome: string, durationMs?: number, outputTokens?: number): void {
    this.metrics.shadowRequests.inc({ route, side, outcome });
    if (durationMs !== undefined) this.metrics.shadowDuration.observe({ route, side }, durationMs / 1000);
    if (outputTokens !== undefined) this.metrics.shadowOutputTokens.observe({ route, side }, outputTokens);
  }

  modelDrift(deploymentId: string, served: string): void {
    this.metrics.modelDrift.inc({ deployment: deploymentId, served });
  }

  limitRefused(route: string, scope: string, limit: string): void {
    this.metrics.limitRefusals.inc({ route, scope, limit });
  }

  limitsStoreMode(mode: string): void {
    for (const m of ['redis', 'memory', 'fallback_open', 'fallback_closed']) this.metrics.limitsStore.set({ mode: m }, m === mode ? 1 : 0);
  }

  breakerProbe(deploymentId: string, result: 'pass' | 'fail'): void {
    this.metrics.breakerProbes.inc({ deployment: deploymentId, result });
  }

  clientAborted(route: string): void {
    this.metrics.clientAborts.inc({ route });
  }

  streamFailed(route: string, deployment: DeploymentRef, kind: string): void {
    this.metrics.streamErrors.inc({ route, deployment: deployment.id, kind });
  }

  configLoaded(reload: boolean): void {
    this.metrics.configLastReloadSuccess.setToCurrentTime();
    if (reload) this.metrics.configReloads.inc({ result: 'reloaded' });
  }

  configReloadFailed(): void {
    this.metrics.configReloads.inc({ result: 'error' });
  }
}
