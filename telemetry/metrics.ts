/**
 * The Prometheus metrics (DESIGN §5: names are a contract that dashboards and alerts rely on).
 * Labels are bounded sets: route, deployment, provider, operation, status class, outcome kind.
 * Never a user, a key or a prompt. Each gateway instance owns its Registry (tests run several).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'operation' | 'deployment' | 'status_class'>;
  readonly requestDuration: Histogram<'route' | 'operation' | 'deployment' | 'status_class' | 'stream'>;
  readonly timeToFirstToken: Histogram<'route' | 'deployment'>;
  readonly attempts: Counter<'route' | 'deployment' | 'provider' | 'outcome'>;
  readonly tokens: Counter<'route' | 'deployment' | 'type'>;
  readonly costUsd: Counter<'route' | 'deployment'>;
  readonly inFlight: Gauge<'route'>;
  readonly clientAborts: Counter<'route'>;
  readonly streamErrors: Counter<'route' | 'deployment' | 'kind'>;
  readonly failovers: Counter<'route' | 'from' | 'to'>;
  readonly retries: Counter<'route' | 'deployment'>;
  readonly hedges: Counter<'route' | 'deployment' | 'result'>;
  readonly breakerState: Gauge<'deployment'>;
  readonly breakerTransitions: Counter<'deployment' | 'from' | 'to'>;
  readonly ejections: Counter<'deployment'>;
  readonly breakerProbes: Counter<'deployment' | 'result'>;
  readonly endpointHealthy: Gauge<'provider' | 'endpoint'>;
  readonly poolSpills: Counter<'route' | 'deployment' | 'reason'>;
  readonly learnedContextWindow: Gauge<'deployment'>;
  readonly modelDrift: Counter<'deployment' | 'served'>;
  readonly limitRefusals: Counter<'route' | 'scope' | 'limit'>;
  readonly canaryRequests: Counter<'route' | 'variant'>;
  readonly canaryPercent: Gauge<'route'>;
  readonly canaryStatus: Gauge<'route' | 'status'>;
  readonly canaryRollbacks: Counter<'route' | 'cause'>;
  readonly canaryErrorRatio: Gauge<'route' | 'variant'>;
  readonly canaryLatencyP95: Gauge<'route' | 'variant'>;
  readonly canaryTtftP95: Gauge<'route' | 'variant'>;
  readonly canaryCostPerRequest: Gauge<'route' | 'variant'>;
  readonly shadowRequests: Counter<'route' | 'side' | 'outcome'>;
  readonly shadowDuration: Histogram<'route' | 'side'>;
  readonly shadowOutputTokens: Histogram<'route' | 'side'>;
  readonly limitsStore: Gauge<'mode'>;
  readonly configReloads: Counter<'result'>;
  readonly configLastReloadSuccess: Gauge;
}

export const metricNames = {
  requests: 'switchyard_requests_total',
  requestDuration: 'switchyard_request_duration_seconds',
  timeToFirstToken: 'switchyard_time_to_first_token_seconds',
  attempts: 'switchyard_upstream_attempts_total',
  tokens: 'switchyard_tokens_total',
  costUsd: 'switchyard_cost_usd_total',
  inFlight: 'switchyard_in_flight_requests',
  clientAborts: 'switchyard_client_aborts_total',
  streamErrors: 'switchyard_stream_errors_total',
  buildInfo: 'switchyard_build_info',
  failovers: 'switchyard_failovers_total',
  retries: 'switchyard_retries_total',
  hedges: 'switchyard_hedges_total',
  breakerState: 'switchyard_breaker_state',
  breakerTransitions: 'switchyard_breaker_transitions_total',
  ejections: 'switchyard_ejections_total',
  breakerProbes: 'switchyard_breaker_probes_total',
  endpointHealthy: 'switchyard_endpoint_healthy',
  poolSpills: 'switchyard_pool_spills_total',
  learnedContextWindow: 'switchyard_deployment_learned_context_window_tokens',
  modelDrift: 'switchyard_model_drift_total',
  limitRefusals: 'switchyard_rate_limited_total',
  canaryRequests: 'switchyard_canary_requests_total',
  canaryPercent: 'switchyard_canary_percent',
  canaryStatus: 'switchyard_canary_status',
  canaryRollbacks: 'switchyard_canary_rollbacks_total',
  canaryErrorRatio: 'switchyard_canary_error_ratio',
  canaryLatencyP95: 'switchyard_canary_latency_p95_seconds',
  canaryTtftP95: 'switchyard_canary_ttft_p95_seconds',
  canaryCostPerRequest: 'switchyard_canary_cost_per_request_usd',
  shadowRequests: 'switchyard_shadow_requests_total',
  shadowDuration: 'switchyard_shadow_duration_seconds',
  shadowOutputTokens: 'switchyard_shadow_output_tokens',
  limitsStore: 'switchyard_limits_store',
  configReloads: 'switchyard_config_reloads_total',
  configLastReloadSuccess: 'switchyard_config_last_reload_success_timestamp_seconds',
} as const;

export function createGatewayMetrics(version: string, options: { processMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const configReloads = new Counter({
    name: metricNames.configReloads,
    help: 'Hot reloads of the config file (file change, SIGHUP, POST /admin/reload) by result: reloaded, or error (refused; the previous config serves on).',
    labelNames: ['result'],
    registers,
  });
  // Both series exist from the start, so increase(...{result="error"}) sees the first refusal.
  for (const result of ['reloaded', 'error']) configReloads.inc({ result }, 0);

  new Gauge({
    name: metricNames.buildInfo,
    help: 'Always 1; the labels say which Switchyard build runs.',
    labelNames: ['version'],
    registers,
  }).set({ version }, 1);

  return {
    registry,
    requests: new Counter({
      name: metricNames.requests,
      help: 'Client requests answered, by route, operation, answering deployment ("none" if none answered) and HTTP status class.',
      labelNames: ['route', 'operation', 'deployment', 'status_class'],
      registers,
    }),
    requestDuration: new Histogram({
      name: metricNames.requestDuration,
      help: 'Time from request received to response complete (end of stream for streams), in seconds.',
      labelNames: ['route', 'operation', 'deployment', 'status_class', 'stream'],
      registers,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    }),
    timeToFirstToken: new Histogram({
      name: metricNames.timeToFirstToken,
      help: 'Streams: time from request received to the first chunk sent to the client, in seconds (GenAI semconv time_to_first_token).',
      labelNames: ['route', 'deployment'],
      registers,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    attempts: new Counter({
      name: metricNames.attempts,
      help: 'Upstream attempts by outcome: success, or the UpstreamError kind (rate_limited, overloaded, timeout, connection, server, ...), or aborted.',
      labelNames: ['route', 'deployment', 'provider', 'outcome'],
      registers,
    }),
    tokens: new Counter({
      name: metricNames.tokens,
      help: 'Tokens used by answered requests, as reported by the upstream; type is input or output (GenAI semconv gen_ai.token.type).',
      labelNames: ['route', 'deployment', 'type'],
      registers,
    }),
    costUsd: new Counter({
      name: metricNames.costUsd,
      help: 'Estimated cost in USD of answered requests, from the deployment price and reported usage.',
      labelNames: ['route', 'deployment'],
      registers,
    }),
    inFlight: new Gauge({
      name: metricNames.inFlight,
      help: 'Client requests being processed now.',
      labelNames: ['route'],
      registers,
    }),
    clientAborts: new Counter({
      name: metricNames.clientAborts,
      help: 'Requests whose client disconnected before the response was complete.',
      labelNames: ['route'],
      registers,
    }),
    streamErrors: new Counter({
      name: metricNames.streamErrors,
      help: 'Streams that failed after the first byte reached the client, ended with an error event.',
      labelNames: ['route', 'deployment', 'kind'],
      registers,
    }),
    failovers: new Counter({
      name: metricNames.failovers,
      help: 'Requests moved from one deployment to another after a failure before the first byte.',
      labelNames: ['route', 'from', 'to'],
      registers,
    }),
    retries: new Counter({
      name: metricNames.retries,
      help: 'Retries on the same deployment (within the retry budget).',
      labelNames: ['route', 'deployment'],
      registers,
    }),
    hedges: new Counter({
      name: metricNames.hedges,
      help: 'Hedged tries (started while the previous try had no first token), by whether they won the race.',
      labelNames: ['route', 'deployment', 'result'],
      registers,
    }),
    breakerState: new Gauge({
      name: metricNames.breakerState,
      help: 'Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open.',
      labelNames: ['deployment'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: metricNames.breakerTransitions,
      help: 'Circuit breaker state changes per deployment.',
      labelNames: ['deployment', 'from', 'to'],
      registers,
    }),
    ejections: new Counter({
      name: metricNames.ejections,
      help: 'Passive outlier ejections (a deployment taken out of plans after consecutive failures).',
      labelNames: ['deployment'],
      registers,
    }),
    learnedContextWindow: new Gauge({
      name: metricNames.learnedContextWindow,
      help: "The context window a deployment's upstream stated in its last context-length error (tokens); absent until one did.",
      labelNames: ['deployment'],
      registers,
    }),
    modelDrift: new Counter({
      name: metricNames.modelDrift,
      help: "Answers whose upstream named another model than the deployment's pinned one, by the id it named (at most 10 per deployment, then other).",
      labelNames: ['deployment', 'served'],
      registers,
    }),
    limitRefusals: new Counter({
      name: metricNames.limitRefusals,
      help: 'Requests refused by a configured limit: scope key, route or deployment (every candidate at quota); limit rpm, rpd, tpm, concurrency, usd_day or usd_month.',
      labelNames: ['route', 'scope', 'limit'],
      registers,
    }),
    canaryRequests: new Counter({
      name: metricNames.canaryRequests,
      help: 'Requests on routes with a canary, by the variant assigned (stable or canary).',
      labelNames: ['route', 'variant'],
      registers,
    }),
    canaryPercent: new Gauge({
      name: metricNames.canaryPercent,
      help: 'The share of subjects a route sends to its canary now (0 to 100): the ramp step, 0 after a rollback, 100 once promoted.',
      labelNames: ['route'],
      registers,
    }),
    canaryStatus: new Gauge({
      name: metricNames.canaryStatus,
      help: "A route's canary status: 1 for the current one (gating, gate_failed, running, paused, rolled_back, complete, promoted), 0 for the others.",
      labelNames: ['route', 'status'],
      registers,
    }),
    canaryRollbacks: new Counter({
      name: metricNames.canaryRollbacks,
      help: 'Canary rollbacks decided by this replica, by cause: the guard metric that regressed (error_rate, ttft_p95, latency_p95, cost_per_request) or manual.',
      labelNames: ['route', 'cause'],
      registers,
    }),
    canaryErrorRatio: new Gauge({
      name: metricNames.canaryErrorRatio,
      help: "Share of a variant's requests in the guard window that its own targets did not answer (set at each guard evaluation).",
      labelNames: ['route', 'variant'],
      registers,
    }),
    canaryLatencyP95: new Gauge({
      name: metricNames.canaryLatencyP95,
      help: "p95 latency of a variant's answered requests in the guard window, in seconds (set at each guard evaluation).",
      labelNames: ['route', 'variant'],
      registers,
    }),
    canaryTtftP95: new Gauge({
      name: metricNames.canaryTtftP95,
      help: "p95 time to first token of a variant's streamed answers in the guard window, in seconds (set at each guard evaluation).",
      labelNames: ['route', 'variant'],
      registers,
    }),
    canaryCostPerRequest: new Gauge({
      name: metricNames.canaryCostPerRequest,
      help: "Mean cost of a variant's answered requests in the guard window, in USD (set at each guard evaluation).",
      labelNames: ['route', 'variant'],
      registers,
    }),
    shadowRequests: new Counter({
      name: metricNames.shadowRequests,
      help: 'Shadowed requests by side (primary: the answer the client got; shadow: the discarded copy) and outcome (success, error; skipped: the copy was not sent, too many under way).',
      labelNames: ['route', 'side', 'outcome'],
      registers,
    }),
    shadowDuration: new Histogram({
      name: metricNames.shadowDuration,
      help: 'Whole-answer time of shadowed requests, primary and shadow side by side, in seconds (the copy is always sent non-stream).',
      labelNames: ['route', 'side'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    shadowOutputTokens: new Histogram({
      name: metricNames.shadowOutputTokens,
      help: 'Output tokens of shadowed requests, primary and shadow side by side.',
      labelNames: ['route', 'side'],
      buckets: [16, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
      registers,
    }),
    limitsStore: new Gauge({
      name: metricNames.limitsStore,
      help: 'Where limits are counted now: 1 for the active mode (redis, memory, fallback_open, fallback_closed), 0 for the others.',
      labelNames: ['mode'],
      registers,
    }),
    breakerProbes: new Counter({
      name: metricNames.breakerProbes,
      help: 'Health-path probes of deployments whose breaker is open or that are ejected, by result (pass or fail).',
      labelNames: ['deployment', 'result'],
      registers,
    }),
    endpointHealthy: new Gauge({
      name: metricNames.endpointHealthy,
      help: 'Active health check result per endpoint (1 up, 0 down); set on each change, for providers with health_check, and for GPU-pool members (ready or not).',
      labelNames: ['provider', 'endpoint'],
      registers,
    }),
    poolSpills: new Counter({
      name: metricNames.poolSpills,
      help: "Requests a saturated GPU pool spilled to the route's next candidate, by route, the pool's deployment and why its endpoints were full (queue, kv_cache, stale, not_ready).",
      labelNames: ['route', 'deployment', 'reason'],
      registers,
    }),
    configReloads,
    configLastReloadSuccess: new Gauge({
      name: metricNames.configLastReloadSuccess,
      help: 'When the config in effect was loaded (at start or by the last successful reload), in seconds since the epoch.',
      registers,
    }),
  };
}
