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
  kind: UpstreamErrorKind;
  /** Undefined for a failure the executor handled itself (a stream broken after its first byte). */
  error: UpstreamError | undefined;
  /** False for a deployment passed over without a call (known to be unable to serve the request). */
  attempted: boolean;
}

/** The longest `x-switchyard-failed` value (and log field): entries past it are counted, not listed. */
export const maxFailureSummaryLength = 512;

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

  /** A failed attempt, or with `attempted` false a deployment passed over without a call. */
  add(deploymentId: string, error: UpstreamError, attempted = true): void {
    this.failures.push({ deploymentId, kind: error.kind, error, attempted });
  }

  /** A failure the executor handled without throwing (a stream broken mid-answer, then continued or ended). */
  addHandled(deploymentId: string, kind: UpstreamErrorKind): void {
    this.failures.push({ deploymentId, kind, error: undefined, attempted: true });
  }

  get size(): number {
    return this.failures.length;
  }

  /**
   * What failed, in order, as `deployment:kind` pairs (`a@cloud:timeout,b@gpu:server`), at most
   * `maxLength` characters: the pairs that do not fit are summed up as `+N more`. Empty when nothing failed.
   */
  summary(maxLength = maxFailureSummaryLength): string {
    let out = '';
    for (let i = 0; i < this.failures.length; i += 1) {
      const f = this.failures[i]!;
      const entry = `${out === '' ? '' : ','}${f.deploymentId}:${f.kind}`;
      const rest = this.failures.length - i - 1;
      // Room for this entry and, if any remain, for the `,+N more` that would follow it.
      const tail = rest > 0 ? `,+${rest} more`.length : 0;
      if (out.length + entry.length + tail > maxLength) return `${out}${out === '' ? '' : ','}+${this.failures.length - i} more`;
      out += entry;
    }
    return out;
  }

  toGatewayError(routeName: string, redact: (text: string) => string): GatewayError {
    const thrown = this.failures.filter((f): f is Failure & { error: UpstreamError } => f.error !== undefined);
    if (thrown.length === 0) {
      return new GatewayError('no_healthy_deployment', `No deployment of route '${routeName}' can serve this request right now.`);
    }
    if (thrown.every((f) => f.error.kind === 'rate_limited')) {
      const waits = thrown.map((f) => f.error.retryAfterMs).filter((ms): ms is number => ms !== undefined);
      const soonest = waits.length > 0 ? Math.min(...waits) : 1000;
      const headers = {
        'retry-after': String(Math.max(1, Math.ceil(soonest / 1000))),
        'retry-after-ms': String(Math.max(0, Math.round(soonest))),
      };
      const names = thrown.map((f) => `'${f.deploymentId}'`).join(', ');
      return new GatewayError(
        'rate_limit_exceeded',
        `Every deployment of route '${routeName}' is rate-limited upstream (${names}). Retry after ${headers['retry-after']} s.`,
        { headers },
      );
    }
    let best = thrown[0]!;
    for (const f of thrown) if (rank[f.error.kind] < rank[best.error.kind]) best = f;
    const err = gatewayErrorFromUpstream(best.error, best.deploymentId, redact);
    const attempted = thrown.filter((f) => f.attempted).length;
    if (thrown.length === 1 || attempted <= 1) return err;
    return new GatewayError(err.code, `${err.message} (${attempted} attempts failed)`, {
      param: err.param,
      bodyCode: err.bodyCode,
      deploymentId: best.deploymentId,
      cause: best.error,
      ...(err.headers ? { headers: err.headers } : {}),
    });
  }
}
