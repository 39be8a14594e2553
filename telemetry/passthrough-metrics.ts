/**
 * Metrics of pass-through traffic (`/passthrough/{provider}/...`), registered on the gateway's own
 * Registry the first time a listener asks for them (one set per registry: tests run several gateways).
 * Labels are bounded: `provider` is a configured pass-through id or `none` (a request that named no
 * configured entry), `status_class` 1xx (a WebSocket upgrade the upstream accepted) to 5xx, `reason`
 * one of the fixed refusal reasons. Never a key, a path or a query.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const passthroughMetricNames = {
  requests: 'switchyard_passthrough_requests_total',
  duration: 'switchyard_passthrough_request_duration_seconds',
  websockets: 'switchyard_passthrough_websockets',
  refusals: 'switchyard_passthrough_refusals_total',
  failovers: 'switchyard_passthrough_failovers_total',
} as const;

/** Why the gateway itself refused a pass-through request (before or instead of the upstream answering). */
export type PassthroughRefusalReason =
  | 'malformed'
  | 'unknown_provider'
  | 'not_allowed'
  | 'unauthenticated'
  | 'forbidden'
  | 'rate_limited'
  | 'limits_unavailable'
  | 'shutting_down'
  | 'upstream_credentials'
  | 'upstream_unreachable'
  | 'upstream_timeout';

export interface PassthroughMetrics {
  readonly requests: Counter<'provider' | 'status_class'>;
  readonly duration: Histogram<'provider'>;
  readonly websockets: Gauge<'provider'>;
  readonly refusals: Counter<'provider' | 'reason'>;
  readonly failovers: Counter<'provider'>;
}

const byRegistry = new WeakMap<Registry, PassthroughMetrics>();

export function passthroughMetrics(registry: Registry): PassthroughMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    const registers = [registry];
    metrics = {
      requests: new Counter({
        name: passthroughMetricNames.requests,
        help: 'Pass-through requests answered (WebSocket upgrades included: 1xx when the upstream accepted), by pass-through provider and HTTP status class; refusals by the gateway included.',
        labelNames: ['provider', 'status_class'],
        registers,
      }),
      duration: new Histogram({
        name: passthroughMetricNames.duration,
        help: 'Pass-through HTTP requests: time from request received to response complete, in seconds (WebSocket sessions are not observed here).',
        labelNames: ['provider'],
        buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
        registers,
      }),
      websockets: new Gauge({
        name: passthroughMetricNames.websockets,
        help: 'Pass-through WebSocket connections open now (upgraded by the upstream, until either side closes).',
        labelNames: ['provider'],
        registers,
      }),
      refusals: new Counter({
        name: passthroughMetricNames.refusals,
        help: 'Pass-through requests the gateway refused or could not forward, by reason: malformed, unknown_provider, not_allowed, unauthenticated, forbidden, rate_limited, limits_unavailable, shutting_down, upstream_credentials, upstream_unreachable, upstream_timeout.',
        labelNames: ['provider', 'reason'],
        registers,
      }),
      failovers: new Counter({
        name: passthroughMetricNames.failovers,
        help: 'Pass-through requests (without a body) and WebSocket upgrades sent to another endpoint of their provider because the one tried could not be reached (refused, reset, connect timeout, DNS) before anything came back.',
        labelNames: ['provider'],
        registers,
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** `2xx`, `4xx`…: the status class label. */
export function statusClassOf(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
