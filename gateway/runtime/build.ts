/**
 * Builds a Runtime from one validated Config. A config reload builds a new Runtime and swaps one
 * reference (holder.ts); requests in flight finish on the Runtime they started with. Health (breaker,
 * ejection, cooldown, latency and error stats, in-flight counts) carries over to the new Runtime for
 * every deployment whose identity did not change, and weighted round robin's position for every route
 * whose strategy did not.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, DeploymentConfig, RouteConfig } from '../../config/schema.js';
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

/**
 * The route with its canary: the canary variant plans the canary targets first, then the stable targets
 * and the fallbacks (its failures fall back to stable). Its round-robin state carries over a reload.
 */
function withCanary(
  route: RouteRuntime,
  canary: NonNullable<RouteConfig['canary']>,
  deploymentOf: (route: string, id: string) => DeploymentRuntime,
  previous: RouteRuntime | undefined,
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
  };
  const header = canary.sticky.startsWith('header:') ? canary.sticky.slice('header:'.length).toLowerCase() : undefined;
  return {
    ...route,
    operations,
    canary: { buckets: Math.round(canary.percent * 100), sticky: canary.sticky, salt: canary.salt, header, view },
  };
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

export function buildRuntime(config: Config, options: BuildOptions = {}): Runtime {
  const { providers, stopChecks } = buildProviders(config, options);
  const leaseTtl = leaseTtlOf(config.redis);

  const previous = options.previous;
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
      operations: new Set(d.operations.filter((op) => provider.adapter.operations.has(op))),
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
    };
    routes.set(name, r.canary === undefined ? route : withCanary(route, r.canary, deploymentOf, previous?.routes.get(name)));
  }

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
    [...routes.values()].some((r) => r.limits !== undefined);
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
    async close() {
      breakerProbes.stop();
      for (const stop of stopChecks) stop();
      await Promise.all([...providers.values()].map((p) => p.pool.close()));
    },
  };
}
