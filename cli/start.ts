/**
 * `switchyard start`: the composition root. Loads and validates the config, starts the embedded
 * simulators it names (so the demo needs no keys and no other process), builds the Runtime, serves the
 * app (and the operations endpoints on their own port when `server.ops_port` is set), and shuts down
 * gracefully on SIGTERM/SIGINT (routes/shutdown.ts).
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { buildRuntime } from '../gateway/runtime/build.js';
import type { Runtime } from '../gateway/runtime/runtime.js';
import { RuntimeHolder } from '../gateway/runtime/holder.js';
import { createGatewayMetrics } from '../telemetry/metrics.js';
import { PrometheusSink } from '../telemetry/prometheus-sink.js';
import { registerPoolMetrics } from '../telemetry/pool-metrics.js';
import { firstPoolMembers, poolViews } from '../gateway/runtime/pool-views.js';
import { createLogger } from '../telemetry/logger.js';
import { createRequestListener } from '../routes/app.js';
import { createUpgradeListener } from '../routes/passthrough-upgrade.js';
import { formatAddress, isLoopback, isWildcard, listen, type ListeningServer } from '../routes/server.js';
import { GracefulShutdown } from '../routes/shutdown.js';
import { newServerState, type GatewayDeps } from '../routes/deps.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { banner } from './banner.js';
import { chooseListenAddress, parsePort, type GivenAddress, type ListenAddress } from './listen-address.js';
import { version } from './version.js';
import { openLimitStore, redisSettings } from '../gateway/limits/open-store.js';
import { CanaryBoard } from '../gateway/canary/board.js';
import { MemoryStateStore, RedisStateStore } from '../gateway/canary/state-store.js';
import type { EvalSend } from '../gateway/evals/runner.js';
import { RequestPipeline } from '../gateway/request.js';
import { requestLogger } from '../telemetry/logger.js';
import { localEvalSender, runCanaryGate } from '../routes/canary-gate.js';
import { canaryEvents } from './canary-events.js';
import { watchConfig, type ConfigWatch } from './config-watch.js';
import { createConfigReloader } from './config-reload.js';

export const defaultConfigPath = fileURLToPath(new URL('../config/switchyard.yaml', import.meta.url));

export interface StartOptions {
  config: Config;
  /** Overrides the config's (and PORT's) port; 0 picks a free port (tests). */
  port?: number;
  /** Overrides the config's host. */
  host?: string;
  /** Where the listen address comes from, for the start-up log (the CLI passes flags and environment). */
  given?: GivenAddress;
  logger?: Logger;
  random?: () => number;
  /** Collect Node process metrics (off in tests that start many gateways). */
  processMetrics?: boolean;
  /** Where REDIS_URL is read when the config has no `redis` (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The file `config` was read from: the gateway reloads it when it changes, and on POST /admin/reload
   * (and SIGHUP, in `switchyard start`). Without it, only `reload()` changes the config.
   */
  configPath?: string;
}

/** A listener as people and clients reach it. */
export interface Endpoint {
  /** e.g. http://127.0.0.1:8080: a URL that reaches it from this machine (a wildcard bind shows as 127.0.0.1). */
  readonly url: string;
  readonly port: number;
  /** The address actually bound, e.g. 127.0.0.1, 0.0.0.0 or ::. */
  readonly address: string;
  /** It with the port, as people write it: 127.0.0.1:8080, [::]:8080. */
  readonly bound: string;
  /** Whether only this machine can connect. */
  readonly loopback: boolean;
}

export interface RunningGateway extends Endpoint {
  /** The host and port chosen, and what chose them. */
  readonly listen: ListenAddress;
  /** The operations listener (/metrics, /admin), when `server.ops_port` is set. */
  readonly ops: Endpoint | undefined;
  readonly deps: GatewayDeps;
  readonly simulators: ReadonlyMap<string, RunningSimulator>;
  /**
   * Builds a new Runtime from `config` (default: the current one) and swaps it in; in-flight requests
   * finish on the old one. Live health state carries over for unchanged deployments unless
   * `freshState` (tests use it to start each case from healthy deployments).
   */
  reload(config?: Config, options?: { freshState?: boolean }): void;
  /**
   * Graceful shutdown (routes/shutdown.ts): readiness fails for `drainDelayMs` (default 0 here; the
   * CLI passes server.drain_delay_ms) while requests are served, then the listener closes and
   * in-flight work has `graceMs` (default server.shutdown_grace_ms) before the gateway ends it.
   */
  close(graceMs?: number, options?: { drainDelayMs?: number }): Promise<void>;
  /** Skips what is left of the drain delay and the grace (a second signal). */
  hurry(): void;
}

async function startSimulators(config: Config): Promise<Map<string, RunningSimulator>> {
  const sims = new Map<string, RunningSimulator>();
  try {
    for (const [name, s] of Object.entries(config.simulators)) {
      sims.set(
        name,
        await startSimulator({
          kind: s.kind,
          model: s.model,
          ttftMs: s.ttft_ms,
          tpotMs: s.tpot_ms,
          outputTokens: s.output_tokens,
          ...(s.max_concurrency !== undefined ? { maxConcurrency: s.max_concurrency } : {}),
          prefill: s.prefill,
          ...(s.max_model_len !== undefined ? { maxModelLen: s.max_model_len } : {}),
          ...(s.api_key ? { apiKey: s.api_key } : {}),
          ...(s.engine !== undefined ? { engine: s.engine } : {}),
          ...(s.kv_blocks !== undefined ? { kvBlocks: s.kv_blocks } : {}),
        }),
      );
    }
  } catch (err) {
    await Promise.all([...sims.values()].map((s) => s.close()));
    throw err;
  }
  return sims;
}

function simResolver(sims: ReadonlyMap<string, RunningSimulator>): (url: string) => string {
  return (url) => {
    if (!url.startsWith('sim://')) return url;
    const sim = sims.get(url.slice('sim://'.length));
    if (!sim) throw new Error(`${url}: no simulator of that name in the config`);
    return sim.url;
  };
}

function endpointOf(listening: ListeningServer): Endpoint {
  const reachable = isWildcard(listening.address) ? '127.0.0.1' : listening.address;
  return {
    url: `http://${formatAddress(reachable, listening.port)}`,
    port: listening.port,
    address: listening.address,
    bound: formatAddress(listening.address, listening.port),
    loopback: isLoopback(listening.address),
  };
}

/** How long a start waits for each GPU pool to have a ready member (a pool still empty then goes on joining). */
const poolStartWaitMs = 3_000;

export async function startSwitchyard(options: StartOptions): Promise<RunningGateway> {
  const { config, configPath } = options;
  const logger = options.logger ?? createLogger();
  const sims = await startSimulators(config);
  const metrics = createGatewayMetrics(version, { processMetrics: options.processMetrics ?? true });
  const telemetry = new PrometheusSink(metrics);
  // The pools' scraped state, read when the gateway is scraped (see the runtime holder below).
  registerPoolMetrics(metrics.registry, () => poolViews(runtime.current));
  // One limit store for the process: counters outlive config reloads (changing `redis` takes a restart).
  const redis = redisSettings(config, options.env ?? process.env);
  const storeEvents = {
    onModeChange: (mode: string) => {
      telemetry.limitsStoreMode(mode);
      if (mode !== 'redis' && mode !== 'memory')
        logger.error({ mode }, 'Redis is unavailable: limits are enforced locally (fail_open) or refused (fail_closed)');
      else
        logger.info({ mode }, mode === 'redis' ? 'limits are shared through Redis' : 'limits count in this process (no Redis configured)');
    },
    onError: (err: Error) => logger.warn({ err: err.message }, 'limit store error'),
  };
  let limitStore = openLimitStore(redis, storeEvents);
  // One board of canary rollouts for the process: shares, steps and rollbacks outlive reloads (and, with Redis, replicas).
  const gate: { send?: EvalSend } = {};
  const openBoard = (): CanaryBoard =>
    new CanaryBoard({
      store:
        redis === undefined
          ? new MemoryStateStore()
          : new RedisStateStore({ url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: redis.commandTimeoutMs }),
      events: canaryEvents(telemetry, logger, (ids) => {
        for (const id of ids) runtime.current.deployments.get(id)?.health.reset();
      }),
      runGate: (control) => runCanaryGate(control, gate.send!, configPath),
    });
  let canaries = openBoard();
  const build = (next: Config, previous?: Runtime) => {
    const built = buildRuntime(next, {
      ...(previous ? { previous } : {}),
      limitStore,
      canaries,
      resolveEndpoint: simResolver(sims),
      onBreakerTransition: (id, from, to) => {
        telemetry.breakerChanged(id, from, to);
        logger.warn({ deployment: id, from, to }, 'circuit breaker state changed');
      },
      onEndpointHealth: (provider, endpoint, healthy) => {
        telemetry.endpointHealth(provider, endpoint.url, healthy);
        logger.warn(
          { provider, endpoint: endpoint.url, healthy },
          healthy ? 'endpoint passed its health check again' : 'endpoint failed its health check',
        );
      },
      onPoolEvent: (event) => {
        if (event.kind === 'member') {
          telemetry.endpointHealth(event.provider, event.url, event.ready);
          logger[event.ready ? 'info' : 'warn'](
            { provider: event.provider, endpoint: event.url, ready: event.ready, reason: event.reason ?? null },
            event.ready ? 'GPU-pool endpoint ready: it takes requests' : 'GPU-pool endpoint not ready: it takes no requests',
          );
        } else
          logger.warn(
            { provider: event.provider, source: event.source, error: event.message },
            'GPU-pool discovery failed; the last list is kept',
          );
      },
      onBreakerProbe: (id, result) => telemetry.breakerProbe(id, result),
      onContextWindowLearned: (id, tokens, configured) => {
        telemetry.contextWindowLearned(id, tokens);
        logger.warn({ deployment: id, tokens, configured: configured ?? null }, 'learnt the context window the upstream states');
      },
      onLimitRefused: (route, scope, limit) => telemetry.limitRefused(route, scope, limit),
      onEjected: (id, forMs) => {
        telemetry.ejected(id);
        logger.warn({ deployment: id, forMs }, 'deployment ejected after consecutive failures');
      },
      onModelDrift: (id, event, pinned) => {
        telemetry.modelDrift(id, event.label);
        // Once per served id per deployment (then `other`), not per answer: a drifted upstream answers all day.
        if (event.first)
          logger.warn(
            { deployment: id, pinned, served: event.served, label: event.label },
            'model drift: the upstream says another model answered than the pinned one',
          );
        if (event.heldOut)
          logger.warn(
            { deployment: id, pinned, served: event.served },
            'deployment taken out of plans after model drift (on_drift: fail_over); POST /admin/deployments/{id}/restore brings it back',
          );
      },
    });
    for (const r of built.routes.values())
      if (r.canary) telemetry.canaryChanged(r.name, r.canary.control.state.status, r.canary.control.state.percent);
    return built;
  };
  const runtime = new RuntimeHolder(build(config));
  telemetry.configLoaded(false);
  // A GPU pool's servers join once ready and scraped: give them a moment before the first request,
  // so that it is not spilled to the cloud only because the gateway has just started.
  await firstPoolMembers(runtime.current, poolStartWaitMs);
  const state = newServerState();
  const reloader =
    configPath === undefined
      ? undefined
      : createConfigReloader({
          path: configPath,
          started: config,
          apply: (next) => runtime.swap(build(next, runtime.current)),
          logger,
          telemetry,
        });
  const deps: GatewayDeps = {
    runtime,
    telemetry,
    metrics,
    logger,
    state,
    version,
    random: options.random ?? Math.random,
    simulators: new Map([...sims].map(([name, s]) => [name, { kind: s.kind, model: s.model, origin: s.origin }])),
    ...(reloader ? { reloadConfig: () => reloader.reloadNow(true) } : {}),
  };
  gate.send = localEvalSender(deps, new RequestPipeline({ telemetry, requestLog: requestLogger(logger), random: deps.random }));
  const given: GivenAddress = {
    ...options.given,
    ...(options.host !== undefined ? { host: { value: options.host, from: 'caller' } } : {}),
    ...(options.port !== undefined ? { port: { value: options.port, from: 'caller' } } : {}),
  };
  const address = chooseListenAddress(config, given);
  const timeouts = {
    headersTimeoutMs: config.server.headers_timeout_ms,
    requestTimeoutMs: config.server.request_timeout_ms,
    keepAliveTimeoutMs: config.server.keep_alive_timeout_ms,
  };
  const opsPort = config.server.ops_port;
  let api: ListeningServer | undefined;
  let ops: ListeningServer | undefined;
  try {
    api = await listen(createRequestListener(deps, opsPort === undefined ? 'all' : 'api'), address.host, address.port, timeouts);
    // WebSocket upgrades: pass-through ones are proxied, every other one is answered with an error (routes/passthrough-upgrade.ts).
    api.server.on('upgrade', createUpgradeListener(deps, opsPort === undefined ? 'all' : 'api'));
    if (opsPort !== undefined) ops = await listen(createRequestListener(deps, 'ops'), config.server.ops_host, opsPort, timeouts);
    ops?.server.on('upgrade', createUpgradeListener(deps, 'ops'));
  } catch (err) {
    api?.server.close();
    await runtime.close();
    await limitStore.close();
    await canaries.close();
    await Promise.all([...sims.values()].map((s) => s.close()));
    throw err;
  }
  const endpoint = endpointOf(api);
  const opsEndpoint = ops && endpointOf(ops);
  const open = config.keys.length === 0;
  logger.info(
    { address: endpoint.bound, host: address.host, hostFrom: address.hostFrom, port: endpoint.port, portFrom: address.portFrom },
    'listening',
  );
  if (opsEndpoint) logger.info({ address: opsEndpoint.bound }, 'operations endpoints (/metrics, /admin) listening on their own port');
  if (open)
    logger.warn(
      { address: endpoint.bound },
      endpoint.loopback
        ? 'OPEN MODE: no client keys are configured, so any local client may use the upstreams without a key (add keys: to the config)'
        : 'OPEN MODE on a non-loopback address: no client keys are configured, so anyone who can reach this port can use the upstreams (add keys: to the config)',
    );
  const shutdown = new GracefulShutdown(state, api, ops, logger);
  const configWatch: ConfigWatch | undefined =
    configPath === undefined ? undefined : watchConfig(configPath, () => reloader?.reloadNow(), logger);
  let closing: Promise<void> | undefined;
  return {
    ...endpoint,
    listen: address,
    ops: opsEndpoint,
    deps,
    simulators: sims,
    reload(next = runtime.current.config, reloadOptions = {}) {
      // Fresh state (tests) starts limits afresh too, when they count in memory.
      if (reloadOptions.freshState && redis === undefined) {
        limitStore = openLimitStore(undefined, storeEvents);
        void canaries.close();
        canaries = openBoard();
      }
      runtime.swap(build(next, reloadOptions.freshState ? undefined : runtime.current));
    },
    close(graceMs = config.server.shutdown_grace_ms, closeOptions = {}) {
      configWatch?.stop();
      closing ??= (async () => {
        await shutdown.run({ drainDelayMs: closeOptions.drainDelayMs ?? 0, graceMs });
        await runtime.close();
        await limitStore.close();
        await canaries.close();
        await Promise.all([...sims.values()].map((s) => s.close()));
      })();
      return closing;
    },
    hurry() {
      shutdown.hurry();
    },
  };
}

const startUsage = `usage: switchyard start [--config FILE] [--port N] [--host ADDRESS]

Serves the gateway.

options:
  -c, --config FILE     the config; default $SWITCHYARD_CONFIG, else the embedded demo config
  -p, --port N          the port; 0 picks a free one
  -H, --host ADDRESS    the address to listen on, e.g. 127.0.0.1, 0.0.0.0 (every IPv4 interface), ::
  -h, --help            show this help

Where it listens (the start-up log line 'listening' names the source of each):
  port: --port, else $PORT, else server.port in the config, else 8080
  host: --host, else $HOST, else server.host in the config, else 127.0.0.1 when the config has no
        client keys (open mode: this machine only) and 0.0.0.0 when it has keys

The config file is reloaded when it changes (its directory is watched, so a Kubernetes ConfigMap
update is seen), on SIGHUP and on POST /admin/reload; a config with errors is refused and the
previous one kept serving.
Changes to server, redis and simulators take a restart.

On SIGTERM or SIGINT: /health/ready fails for server.drain_delay_ms while requests are still served,
then the listener closes and in-flight work has server.shutdown_grace_ms to finish; a second signal
skips the rest of both.
`;

/** The host and port given on the command line or in the environment, with their names. */
function givenAddress(flags: { host?: string; port?: string }, env: NodeJS.ProcessEnv): GivenAddress | string {
  const given: GivenAddress = {};
  const portText = flags.port ?? (env.PORT === '' ? undefined : env.PORT);
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (port === undefined)
      return `invalid port '${portText}'${flags.port === undefined ? ' (from PORT)' : ''}: expected an integer from 0 to 65535.`;
    given.port = { value: port, from: flags.port !== undefined ? '--port' : 'PORT' };
  }
  const host = flags.host ?? (env.HOST === '' ? undefined : env.HOST);
  if (host !== undefined) given.host = { value: host, from: flags.host !== undefined ? '--host' : 'HOST' };
  return given;
}

export async function runStartCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string', short: 'H' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(startUsage);
    return 0;
  }
  const configPath = values.config ?? process.env.SWITCHYARD_CONFIG ?? defaultConfigPath;
  const loaded = loadConfigFile(configPath);
  if (!loaded.ok) {
    for (const issue of loaded.errors) process.stderr.write(`${formatIssue(issue)}\n`);
    process.stderr.write(`switchyard: the config has ${loaded.errors.length} error(s); nothing was started.\n`);
    return 1;
  }
  for (const w of loaded.warnings) process.stderr.write(`warning: ${formatIssue(w)}\n`);
  const given = givenAddress(values, process.env);
  if (typeof given === 'string') {
    process.stderr.write(`switchyard: ${given}\n`);
    return 2;
  }
  // locate() falls back to the nearest written ancestor: the same position as server's means no port was written.
  const portAt = loaded.locate(['server', 'port']);
  const serverAt = loaded.locate(['server']);
  given.portWritten = portAt.line !== serverAt.line || portAt.col !== serverAt.col;
  const { config } = loaded;
  const gw = await startSwitchyard({ config, given, configPath });
  process.stdout.write(banner(gw, configPath));
  const { logger } = gw.deps;
  process.on('SIGHUP', () => {
    logger.info({ path: configPath }, 'SIGHUP: reloading the config');
    gw.deps.reloadConfig?.();
  });
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: ending what is still open now');
        gw.hurry();
        return;
      }
      logger.info(
        { signal, drainDelayMs: config.server.drain_delay_ms, graceMs: config.server.shutdown_grace_ms },
        'shutting down (a second signal skips the waits)',
      );
      void gw.close(config.server.shutdown_grace_ms, { drainDelayMs: config.server.drain_delay_ms }).then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  logger.info('stopped');
  return 0;
}
