/**
 * Builds a Runtime from one validated Config. A config reload builds a new Runtime and swaps one
 * reference (holder.ts); requests in flight finish on the Runtime they started with. Health (breaker,
 * ejection, cooldown, latency and error stats, in-flight counts) carries over to the new Runtime for
 * every deployment whose identity did not change, and weighted round robin's position for every route
 * whose strategy did not.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, DeploymentConfig, RouteConfig, ShadowConfig } from '../../config/schema.js';
import { UpstreamShaper } from '../limits/upstream-shaper.js';
import { DeploymentHealth } from '../health/deployment-health.js';
import type { DriftCheck } from '../health/model-drift.js';
import type { Operation } from '../../adapters/types.js';
import { buildProviders } from './providers.js';
import { startBreakerProbes } from './breaker-probes.js';
import { providerKindOf } from '../../adapters/index.js';
import { buildKeyIndex } from '../access/keys.js';
import { SecretRedactor } from '../errors/secret-redactor.js';
import { createAttemptRunner } from '../execute/attempt-runner.js';
import { standardWrappers } from '../execute/wrappers/index.js';
import { Limiter } from '../limits/admission.js';
import { compileLimits, leaseTtlOf } from '../limits/policy.js';
import { MemoryStore } from '../limits/memory-store.js';
import { parseByteSize } from '../../config/byte-size.js';
import type { DeploymentRuntime, RouteRuntime } from './types.js';
import { parseDuration } from '../../config/duration.js';
import { fnv1a } from '../routing/canary.js';
import { standaloneBoard, type CanaryBoard } from '../canary/board.js';
import type { RolloutPlan } from '../canary/control.js';
import type { BuildOptions, Runtime } from './runtime.js';

/**
 * What makes a deployment the same across configs: where it sends requests and the health settings
 * its state was gathered under. Prices, capabilities or limits may change without losing the state.
 */
function deploymentIdentity(config: Config, id: string): string | undefined {
  const d = config.deployments[id];
  const p = d && config.providers[d.provider];
  if (!d || !p) return undefined;
  return JSON.stringify([d.provider, d.model, p.type, p.endpoints ?? [p.base_url], d.breaker, d.outlier]);
}

/** What the config says a route's rollout is; its key changes when the rollout does (new targets, share, ramp or gate). */
function rolloutPlan(route: RouteRuntime, canary: NonNullable<RouteConfig['canary']>): RolloutPlan {
  const ramp = canary.ramp?.map((s) => ({ percent: s.percent, holdMs: parseDuration(s.hold) }));
  const g = canary.guard;
  const limit = (value: number | false) => (value === false ? undefined : value);
  const fingerprint = JSON.stringify([canary.targets, canary.percent, ramp, canary.gate]);
  return {
    route: route.name,
    key: `${route.name}:${fnv1a(fingerprint).toString(36)}`,
    percent: canary.percent,
    ramp,
    guard:
      g === false
        ? undefined
        : {
            windowMs: parseDuration(g.window),
            intervalMs: parseDuration(g.interval),
            minRequests: g.min_requests,
            alpha: g.alpha,
            maxErrorRateIncrease: limit(g.max_error_rate_increase),
            maxTtftP95Ratio: limit(g.max_ttft_p95_ratio),
            maxLatencyP95Ratio: limit(g.max_latency_p95_ratio),
            maxCostRatio: limit(g.max_cost_ratio),
          },
    gate: canary.gate,
    canaryTargets: new Set(canary.targets),
    stableTargets: new Set(route.targets.map((d) => d.id)),
  };
}

/**
 * The route with its canary: the canary variant plans the canary targets first, then the stable targets
 * and the fallbacks (its failures fall back to stable). Its round-robin state carries over a reload, and
 * its share and guard live in the board's control for the rollout (gateway/canary/).
 */
function withCanary(
  route: RouteRuntime,
  canary: NonNullable<RouteConfig['canary']>,
  deploymentOf: (route: string, id: string) => DeploymentRuntime,
  previous: RouteRuntime | undefined,
  board: CanaryBoard,
): RouteRuntime {
  const targets = canary.targets.map((id) => deploymentOf(route.name, id));
  const operations = new Set(route.operations);
  for (const d of targets) for (const op of d.operations) operations.add(op);
  const view: RouteRuntime = {
    ...route,
    targets,
    fallbacks: [...route.targets, ...route.fallbacks],
    strategyState:
      previous?.canary !== undefined && previous.strategy === route.strategy
        ? previous.canary.view.strategyState
        : new Map<string, number>(),
    operations,
    canary: undefined,
    hasGpuPool: route.hasGpuPool || targets.some((d) => d.provider.gpuPool !== undefined),
  };
  const header = canary.sticky.startsWith('header:') ? canary.sticky.slice('header:'.length).toLowerCase() : undefined;
  return {
    ...route,
    operations,
    canary: { control: board.controlFor(rolloutPlan(route, canary)), sticky: canary.sticky, salt: canary.salt, header, view },
  };
}

/** The route with its shadow (`shadow`): copies plan the shadow deployment alone, once (no retry, no hedge, no fallback). */
function withShadow(
  route: RouteRuntime,
  shadow: ShadowConfig,
  deployment: DeploymentRuntime,
  previous: RouteRuntime | undefined,
): RouteRuntime {
  const view: RouteRuntime = {
    ...route,
    targets: [deployment],
    fallbacks: [],
    retries: { ...route.retries, same_deployment: 0 },
    hedge: undefined,
    streamUpstream: false,
    limits: undefined,
    strategyState: new Map<string, number>(),
  };
  const carried = previous?.shadow?.deployment.id === deployment.id ? previous.shadow.inFlight : { count: 0 };
  return { ...route, shadow: { deployment, share: shadow.percent / 100, maxInFlight: shadow.max_in_flight, view, inFlight: carried } };
}

/** How a deployment's answers are checked for drift; none for a floating alias it accepts (allow_floating). */
function driftCheckOf(id: string, d: DeploymentConfig, providerType: string, options: BuildOptions): DriftCheck | undefined {
  if (d.allow_floating && providerKindOf(providerType).floatingModel?.(d.model) !== undefined) return undefined;
  const pinned = d.model;
  return { pinned, policy: d.on_drift, report: (event) => options.onModelDrift?.(id, event, pinned) };
}

/** A deployment's shaper: the previous one while its settings are unchanged (its queue and slots carry over). */
function shaperFor(shaping: DeploymentConfig['shaping'], previous: UpstreamShaper | undefined): UpstreamShaper | undefined {
  if (shaping === undefined) return undefined;
  const settings = {
    maxConcurrent: shaping.max_concurrent,
    minIntervalMs: shaping.min_interval_ms,
    maxQueue: shaping.max_queue,
    maxWaitMs: shaping.max_wait_ms,
  };
  return previous !== undefined && isDeepStrictEqual(previous.settings, settings) ? previous : new UpstreamShaper(settings);
}

/**
 * What a deployment serves: the configured operations its adapter can do, and a token count
 * (`count_tokens`, not configurable) wherever it serves chat and its adapter can count.
 */
function servedOperations(configured: readonly Operation[], adapter: ReadonlySet<Operation>): ReadonlySet<Operation> {
  const served = new Set(configured.filter((op) => adapter.has(op)));
  if (served.has('chat') && adapter.has('count_tokens')) served.add('count_tokens');
  return served;
}

export function buildRuntime(config: Config, options: BuildOptions = {}): Runtime {
  const { providers, stopChecks, ownedPools } = buildProviders(config, options);
  const leaseTtl = leaseTtlOf(config.redis);

  const previous = options.previous;
  const canaries = options.canaries ?? standaloneBoard();
  const deployments = new Map<string, DeploymentRuntime>();
  for (const [id, d] of Object.entries(config.deployments)) {
    const provider = providers.get(d.provider);
    if (!provider) throw new Error(`deployment '${id}': unknown provider '${d.provider}'`);
    const same = previous !== undefined && deploymentIdentity(previous.config, id) === deploymentIdentity(config, id);
    deployments.set(id, {
      id,
      provider,
      target: { deploymentId: id, model: d.model, provider: provider.settings },
      price: { inputPerMTok: d.price.input_per_mtok, outputPerMTok: d.price.output_per_mtok },
      contextWindow: d.context_window,
      capabilities: new Set(d.capabilities),
      operations: servedOperations(d.operations, provider.adapter.operations),
      maxConcurrency: d.max_concurrency,
      limits: compileLimits('deployment', id, d.limits, undefined, leaseTtl),
      shaper: shaperFor(d.shaping, same ? previous.deployments.get(id)?.shaper : undefined),
      health:
        (same ? previous.deployments.get(id)?.health : undefined) ??
        new DeploymentHealth(
          d.breaker,
          d.outlier,
          (from, to) => options.onBreakerTransition?.(id, from, to),
          (forMs) => options.onEjected?.(id, forMs),
          (tokens) => options.onContextWindowLearned?.(id, tokens, d.context_window),
        ),
      driftCheck: driftCheckOf(id, d, provider.type, options),
    });
  }

  // Takes over probing of carried-over deployments from the previous Runtime (holder.ts stops its own).
  const breakerProbes = startBreakerProbes(config, deployments, options.onBreakerProbe);

  const deploymentOf = (route: string, id: string): DeploymentRuntime => {
    const d = deployments.get(id);
    if (!d) throw new Error(`route '${route}': unknown deployment '${id}'`);
    return d;
  };
  const routes = new Map<string, RouteRuntime>();
  for (const [name, r] of Object.entries(config.routes)) {
    const targets = r.targets.map((id) => deploymentOf(name, id));
    const fallbacks = r.fallbacks.map((id) => deploymentOf(name, id));
    const operations = new Set<Operation>();
    for (const d of [...targets, ...fallbacks]) for (const op of d.operations) operations.add(op);
    const route: RouteRuntime = {
      name,
      strategy: r.strategy,
      targets,
      fallbacks,
      timeouts: {
        firstTokenMs: r.timeouts.first_token_ms,
        idleMs: r.timeouts.idle_ms,
        totalMs: r.timeouts.total_ms,
        perTryMs: r.timeouts.per_try_ms,
        adaptive: r.timeouts.adaptive === false ? undefined : { factor: r.timeouts.adaptive.factor, floorMs: r.timeouts.adaptive.floor_ms },
      },
      retries: r.retries,
      hedge: r.hedge,
      streamUpstream: r.stream_upstream,
      replay: r.continuation.replay,
      weights: new Map(Object.entries(r.weights ?? {})),
      strategyState:
        previous?.routes.get(name)?.strategy === r.strategy ? previous.routes.get(name)!.strategyState : new Map<string, number>(),
      operations,
      limits: compileLimits('route', name, r.limits, undefined, leaseTtl),
      canary: undefined,
      hasGpuPool: [...targets, ...fallbacks].some((d) => d.provider.gpuPool !== undefined),
      shadow: undefined,
    };
    const shadowed =
      r.shadow === undefined ? route : withShadow(route, r.shadow, deploymentOf(name, r.shadow.target), previous?.routes.get(name));
    routes.set(
      name,
      r.canary === undefined ? shadowed : withCanary(shadowed, r.canary, deploymentOf, previous?.routes.get(name), canaries),
    );
  }
  canaries.retain(new Set([...routes.values()].flatMap((r) => (r.canary ? [r.canary.control.plan.key] : []))));

  const secrets = [
    ...Object.values(config.providers).flatMap((p) =>
      providerKindOf(p.type)
        .secrets.map((key) => (p as Record<string, unknown>)[key])
        .filter((v) => typeof v === 'string'),
    ),
    ...Object.values(config.providers).flatMap((p) => Object.values(p.headers)),
    ...config.keys.flatMap((k) => (k.key === undefined ? [] : [k.key])),
    // A Redis URL may carry a password.
    ...(typeof config.redis === 'string' ? [config.redis] : config.redis?.url ? [config.redis.url] : []),
    config.server.admin_key,
  ];

  const keys = buildKeyIndex(config.keys, leaseTtl);
  // Built only when something is limited or keyed (usage ledger): an open gateway without limits pays nothing.
  const limited =
    keys.required ||
    [...deployments.values()].some((d) => d.limits !== undefined) ||
    [...routes.values()].some((r) => r.limits !== undefined) ||
    Object.values(config.passthrough ?? {}).some((entry) => entry.limits !== undefined);
  let closing: Promise<void> | undefined;
  const limiter = limited ? new Limiter(options.limitStore ?? new MemoryStore(), options.onLimitRefused, leaseTtl) : undefined;

  return {
    config,
    providers,
    deployments,
    routes,
    keys,
    limiter,
    redactor: new SecretRedactor(secrets),
    attemptRunner: createAttemptRunner(
      standardWrappers({ limiterSlot: [...deployments.values()].some((d) => d.limits !== undefined || d.shaper !== undefined) }),
    ),
    bodyLimitBytes: parseByteSize(config.server.body_limit),
    createdAt: Math.floor(Date.now() / 1000),
    breakerProbes,
    // Once: the holder's drain timer and a shutdown may both close a Runtime, and undici refuses a second close.
    close() {
      closing ??= (async () => {
        breakerProbes.stop();
        for (const stop of stopChecks) stop();
        // A GPU pool carried over into a newer Runtime is that one's to close.
        const pools = [...providers.values()].filter((p) => p.gpuPool === undefined).map((p) => p.pool);
        await Promise.all([...pools, ...ownedPools()].map((pool) => pool.close()));
      })();
      return closing;
    },
  };
}
