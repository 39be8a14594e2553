/**
 * The failed attempts of one request, and the single error the client gets when every candidate has
 * failed: when all were rate-limited, a 429 whose Retry-After is the soonest any of them frees up;
 * otherwise the most telling failure (a deployment that answered with an error says more than one that
 * could not be reached), named by its deployment.
 */
import { GatewayError, gatewayErrorFromUpstream } from './catalogue.js';
import type { UpstreamError, UpstreamErrorKind } from '../../adapters/upstream-error.js';

interface Failure {
  deploymentId: string;
  error: UpstreamError;
}

/** Lower is more telling. */
const rank: Record<UpstreamErrorKind, number> = {
  context_length: 0,
  content_filter: 0,
  bad_request: 0,
  auth: 1,
  not_found: 1,
  server: 2,
  overloaded: 3,
  rate_limited: 4,
  timeout: 5,
  connection: 6,
};

export class FailureLog {
  private readonly failures: Failure[] = [];

  add(deploymentId: string, error: UpstreamError): void {
    this.failures.push({ deploymentId, error });
  }

  get size(): number {
    return this.failures.length;
  }

  toGatewayError(routeName: string, redact: (text: string) => string): GatewayError {
    if (this.failures.length === 0) {
      return new GatewayError('no_healthy_deployment', `No deployment of route '${routeName}' can serve this request right now.`);
    }
    if (this.failures.every((f) => f.error.kind === 'rate_limited')) {
      const waits = this.failures.map((f) => f.error.retryAfterMs).filter((ms): ms is number => ms !== undefined);
      const soonest = waits.length > 0 ? Math.min(...waits) : 1000;
      const headers = {
        'retry-after': String(Math.max(1, Math.ceil(soonest / 1000))),
        'retry-after-ms': String(Math.max(0, Math.round(soonest))),
      };
      const names = this.failures.map((f) => `'${f.deploymentId}'`).join(', ');
      return new GatewayError(
        'rate_limit_exceeded',
        `Every deployment of route '${routeName}' is rate-limited upstream (${names}). Retry after ${headers['retry-after']} s.`,
        { headers },
      );
    }
    let best = this.failures[0]!;
    for (const f of this.failures) if (rank[f.error.kind] < rank[best.error.kind]) best = f;
    const err = gatewayErrorFromUpstream(best.error, best.deploymentId, redact);
    if (this.failures.length === 1) return err;
    return new GatewayError(err.code, `${err.message} (${this.failures.length} attempts failed)`, {
      param: err.param,
      bodyCode: err.bodyCode,
      deploymentId: best.deploymentId,
      cause: best.error,
      ...(err.headers ? { headers: err.headers } : {}),
    });
  }
}
