/**
 * A Runtime is everything built from one validated Config: providers with their endpoint pools,
 * deployments, routes and the key index, with every lookup the hot path needs prepared once.
 * A config reload builds a new Runtime and swaps one reference (RuntimeHolder); requests in flight
 * finish on the Runtime they started with. Health (breaker, ejection, cooldown, latency and error
 * stats, in-flight counts) carries over to the new Runtime for every deployment whose identity did
 * not change, and weighted round robin's position for every route whose strategy did not.
 */
import type { Capability, Config, RetriesConfig, RouteConfig } from '../../config/schema.js';
import { DeploymentHealth } from '../health/deployment-health.js';
import type { BreakerState } from '../health/breaker.js';
import type { StrategyState } from '../routing/strategies/index.js';
import type { Operation, ProviderAdapter, ProviderSettings, UpstreamTarget } from '../../adapters/types.js';
import { adapterFor } from '../../adapters/index.js';
import { createEndpointPool, type Endpoint, type EndpointPool } from '../../upstream/endpoint-pool.js';
import { startHealthChecks } from '../../upstream/health-checks.js';
import { buildKeyIndex, type KeyIndex } from '../access/keys.js';
import { SecretRedactor } from '../errors/secret-redactor.js';
import { parseByteSize } from '../../config/byte-size.js';

export interface ProviderRuntime {
  readonly id: string;
  readonly type: string;
  readonly adapter: ProviderAdapter;
  readonly settings: ProviderSettings;
  readonly pool: EndpointPool;
}

export interface Price {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

export interface DeploymentRuntime {
  readonly id: string;
  readonly provider: ProviderRuntime;
  /** Prepared once: what adapters need to address this deployment. */
  readonly target: UpstreamTarget;
  readonly price: Price;
  readonly contextWindow: number | undefined;
  readonly capabilities: ReadonlySet<Capability>;
  readonly operations: ReadonlySet<Operation>;
  readonly maxConcurrency: number | undefined;
  /** Live, mutable: stats, breaker, cooldown, drain. */
  readonly health: DeploymentHealth;
}

export interface Timeouts {
  readonly firstTokenMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
}

export interface RouteRuntime {
  readonly name: string;
  readonly strategy: RouteConfig['strategy'];
  readonly targets: readonly DeploymentRuntime[];
  readonly fallbacks: readonly DeploymentRuntime[];
  readonly timeouts: Timeouts;
  readonly retries: RetriesConfig;
  /** Non-stream requests go upstream as streams (first-token and idle timeouts, continuation). */
  readonly streamUpstream: boolean;
  /** Weight per target for the weighted strategy (default 1). */
  readonly weights: ReadonlyMap<string, number>;
  /** The strategy's own state (weighted round robin's running weights). */
  readonly strategyState: StrategyState;
  /** Operations at least one of the route's deployments serves. */
  readonly operations: ReadonlySet<Operation>;
}

export interface Runtime {
  readonly config: Config;
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  readonly routes: ReadonlyMap<string, RouteRuntime>;
  readonly keys: KeyIndex;
  readonly redactor: SecretRedactor;
  readonly bodyLimitBytes: number;
  /** Unix seconds when this Runtime was built (the `created` of /v1/models entries). */
  readonly createdAt: number;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Maps a configured endpoint URL to a real one (the embedded simulators' `sim://NAME`). */
  resolveEndpoint?: (url: string) => string;
  /** Told of every breaker state change (metrics, logs). */
  onBreakerTransition?: (deploymentId: string, from: BreakerState, to: BreakerState) => void;
  /** Told of every outlier ejection. */
  onEjected?: (deploymentId: string, forMs: number) => void;
  /** Told when an active health check finds an endpoint down or back up. */
  onEndpointHealth?: (providerId: string, endpoint: Endpoint, healthy: boolean) => void;
  /** The Runtime being replaced: live state carries over from it (see the header). */
  previous?: Runtime;
}

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

export function buildRuntime(config: Config, options: BuildOptions = {}): Runtime {
  const resolve = options.resolveEndpoint ?? ((url: string) => url);
  const providers = new Map<string, ProviderRuntime>();
  const stopChecks: Array<() => void> = [];
  for (const [id, p] of Object.entries(config.providers)) {
    const urls = (p.endpoints ?? [p.base_url!]).map(resolve);
    const settings: ProviderSettings = {
      id,
      type: p.type,
      headers: p.headers,
      ...(p.api_key ? { apiKey: p.api_key } : {}),
    };
    const adapter = adapterFor(p.type);
    const pool = createEndpointPool(urls, { connections: p.max_connections, connectTimeoutMs: p.connect_timeout_ms });
    providers.set(id, { id, type: p.type, adapter, settings, pool });
    const check = p.health_check;
    const path = check?.path ?? adapter.healthPath;
    if (check && path) {
      stopChecks.push(startHealthChecks(pool, { path, intervalMs: check.interval_ms, timeoutMs: check.timeout_ms }, (e, up) => options.onEndpointHealth?.(id, e, up)));
    }
  }

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
      health: (same ? previous.deployments.get(id)?.health : undefined)
        ?? new DeploymentHealth(d.breaker, d.outlier, (from, to) => options.onBreakerTransition?.(id, from, to), (forMs) => options.onEjected?.(id, forMs)),
    });
  }

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
    routes.set(name, {
      name,
      strategy: r.strategy,
      targets,
      fallbacks,
      timeouts: { firstTokenMs: r.timeouts.first_token_ms, idleMs: r.timeouts.idle_ms, totalMs: r.timeouts.total_ms },
      retries: r.retries,
      streamUpstream: r.stream_upstream,
      weights: new Map(Object.entries(r.weights ?? {})),
      strategyState: previous?.routes.get(name)?.strategy === r.strategy ? previous.routes.get(name)!.strategyState : new Map(),
      operations,
    });
  }

  const secrets = [
    ...Object.values(config.providers).map((p) => p.api_key),
    ...Object.values(config.providers).flatMap((p) => Object.values(p.headers)),
    ...config.keys.map((k) => k.key),
    config.server.admin_key,
  ];

  return {
    config,
    providers,
    deployments,
    routes,
    keys: buildKeyIndex(config.keys),
    redactor: new SecretRedactor(secrets),
    bodyLimitBytes: parseByteSize(config.server.body_limit),
    createdAt: Math.floor(Date.now() / 1000),
    async close() {
      for (const stop of stopChecks) stop();
      await Promise.all([...providers.values()].map((p) => p.pool.close()));
    },
  };
}

/** The one mutable reference to the current Runtime. */
export class RuntimeHolder {
  constructor(private runtime: Runtime) {}

  get current(): Runtime {
    return this.runtime;
  }

  /** Swaps in a new Runtime; the old one's connections close once its requests have had time to finish. */
  swap(next: Runtime, drainMs = 30_000): Runtime {
    const previous = this.runtime;
    this.runtime = next;
    this.retired.add(previous);
    setTimeout(() => {
      this.retired.delete(previous);
      void previous.close();
    }, drainMs).unref();
    return previous;
  }

  /** Closes the current Runtime and every one swapped out but not yet closed. */
  async close(): Promise<void> {
    await Promise.all([this.runtime, ...this.retired].map((rt) => rt.close()));
    this.retired.clear();
  }

  private readonly retired = new Set<Runtime>();
}
