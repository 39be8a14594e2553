/**
 * The one place that records what happened to a request and each of its attempts: metrics now,
 * spans and usage records as they land. The executor and routes report facts; this decides how they
 * are counted. Cost is computed here, from the deployment's price and the upstream's reported usage.
 */
import type { Usage } from '../adapters/types.js';
import type { UpstreamErrorKind } from './upstream-error.js';
import type { DeploymentRuntime } from './runtime.js';
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

export function statusClass(status: number): string {
  return statusClasses[Math.floor(status / 100)] ?? 'other';
}

export function costUsd(usage: Usage, deployment: DeploymentRuntime): number {
  return (usage.promptTokens * deployment.price.inputPerMTok + usage.completionTokens * deployment.price.outputPerMTok) / 1e6;
}

export class Telemetry {
  constructor(readonly metrics: GatewayMetrics) {}

  requestStarted(route: string): void {
    this.metrics.inFlight.inc({ route });
  }

  requestEnded(route: string): void {
    this.metrics.inFlight.dec({ route });
  }

  requestFinished(r: RequestRecord): void {
    const deployment = r.deployment?.id ?? 'none';
    const status_class = statusClass(r.status);
    this.metrics.requests.inc({ route: r.route, operation: r.operation, deployment, status_class });
    this.metrics.requestDuration.observe(
      { route: r.route, operation: r.operation, deployment, status_class, stream: r.stream ? 'true' : 'false' },
      r.durationMs / 1000,
    );
    if (r.usage && r.deployment) {
      this.metrics.tokens.inc({ route: r.route, deployment, type: 'input' }, r.usage.promptTokens);
      this.metrics.tokens.inc({ route: r.route, deployment, type: 'output' }, r.usage.completionTokens);
      const cost = costUsd(r.usage, r.deployment);
      if (cost > 0) this.metrics.costUsd.inc({ route: r.route, deployment }, cost);
    }
  }

  attemptFinished(route: string, deployment: DeploymentRuntime, outcome: AttemptOutcome): void {
    this.metrics.attempts.inc({ route, deployment: deployment.id, provider: deployment.provider.id, outcome });
  }

  firstToken(route: string, deployment: DeploymentRuntime, sinceRequestMs: number): void {
    this.metrics.timeToFirstToken.observe({ route, deployment: deployment.id }, sinceRequestMs / 1000);
  }

  clientAborted(route: string): void {
    this.metrics.clientAborts.inc({ route });
  }

  streamFailed(route: string, deployment: DeploymentRuntime, kind: string): void {
    this.metrics.streamErrors.inc({ route, deployment: deployment.id, kind });
  }
}
