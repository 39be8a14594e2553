/**
 * `switchyard start`: the composition root. Loads and validates the config, starts the embedded
 * simulators it names (so the demo needs no keys and no other process), builds the Runtime, serves the
 * app, and shuts down gracefully on SIGTERM/SIGINT.
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
import { createLogger } from '../telemetry/logger.js';
import { createRequestListener } from '../routes/app.js';
import { listen } from '../routes/server.js';
import type { GatewayDeps, ServerState } from '../routes/deps.js';
import { startSimulator, type RunningSimulator } from '../sim/index.js';
import { version } from './version.js';

export const defaultConfigPath = fileURLToPath(new URL('../config/switchyard.yaml', import.meta.url));

export interface StartOptions {
  config: Config;
  /** Overrides config and PORT; 0 picks a free port (tests). */
  port?: number;
  host?: string;
  logger?: Logger;
  random?: () => number;
  /** Collect Node process metrics (off in tests that start many gateways). */
  processMetrics?: boolean;
}

export interface RunningGateway {
  /** e.g. http://127.0.0.1:8080 — append /v1 for OpenAI clients. */
  readonly url: string;
  readonly port: number;
  readonly deps: GatewayDeps;
  readonly simulators: ReadonlyMap<string, RunningSimulator>;
  /**
   * Builds a new Runtime from `config` (default: the current one) and swaps it in; in-flight requests
   * finish on the old one. Live health state carries over for unchanged deployments unless
   * `freshState` (tests use it to start each case from healthy deployments).
   */
  reload(config?: Config, options?: { freshState?: boolean }): void;
  close(graceMs?: number): Promise<void>;
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
          maxConcurrency: s.max_concurrency,
          ...(s.api_key ? { apiKey: s.api_key } : {}),
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

export async function startSwitchyard(options: StartOptions): Promise<RunningGateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger();
  const sims = await startSimulators(config);
  const metrics = createGatewayMetrics(version, { processMetrics: options.processMetrics ?? true });
  const telemetry = new PrometheusSink(metrics);
  const build = (next: Config, previous?: Runtime) =>
    buildRuntime(next, {
      ...(previous ? { previous } : {}),
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
      onEjected: (id, forMs) => {
        telemetry.ejected(id);
        logger.warn({ deployment: id, forMs }, 'deployment ejected after consecutive failures');
      },
    });
  const runtime = new RuntimeHolder(build(config));
  const state: ServerState = { shuttingDown: false, inFlight: 0 };
  const deps: GatewayDeps = {
    runtime,
    telemetry,
    metrics,
    logger,
    state,
    version,
    random: options.random ?? Math.random,
  };
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  const listening = await listen(createRequestListener(deps), state, host, port, {
    headersTimeoutMs: config.server.headers_timeout_ms,
    keepAliveTimeoutMs: config.server.keep_alive_timeout_ms,
  });
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${displayHost}:${listening.port}`,
    port: listening.port,
    deps,
    simulators: sims,
    reload(next = runtime.current.config, reloadOptions = {}) {
      runtime.swap(build(next, reloadOptions.freshState ? undefined : runtime.current));
    },
    close(graceMs = config.server.shutdown_grace_ms) {
      closing ??= (async () => {
        await listening.shutdown(graceMs);
        await runtime.close();
        await Promise.all([...sims.values()].map((s) => s.close()));
      })();
      return closing;
    },
  };
}

function banner(gw: RunningGateway, configPath: string): string {
  const rt = gw.deps.runtime.current;
  const base = `${gw.url}/v1`;
  const chatRoute = [...rt.routes.values()].find((r) => r.operations.has('chat'))?.name ?? [...rt.routes.keys()][0] ?? 'chat';
  const routes = [...rt.routes.values()].map(
    (r) => `  ${r.name.padEnd(24)} -> ${[...r.targets, ...r.fallbacks].map((d) => d.id).join(', ')}`,
  );
  const sims = gw.simulators.size > 0 ? `\nSimulated upstreams (in-process): ${[...gw.simulators.keys()].join(', ')}\n` : '';
  return `
Switchyard ${version} listening on ${gw.url}   (config: ${configPath})
OpenAI base URL: ${base}
Routes (send as "model"):
${routes.join('\n')}
${sims}
Try it:
  curl ${base}/chat/completions -H 'Content-Type: application/json' \\
    -d '{"model": "${chatRoute}", "messages": [{"role": "user", "content": "Hello!"}]}'

  import OpenAI from 'openai';
  const client = new OpenAI({ baseURL: '${base}', apiKey: 'anything' });
  const r = await client.chat.completions.create({ model: '${chatRoute}', messages: [{ role: 'user', content: 'Hello!' }] });

Health: ${gw.url}/health/ready   Metrics: ${gw.url}/metrics
`;
}

export async function runStartCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: switchyard start [--config FILE] [--port N]\n  FILE defaults to $SWITCHYARD_CONFIG, else the embedded demo config.\n  The port comes from --port, else $PORT, else server.port in the config.\n',
    );
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
  const portText = values.port ?? process.env.PORT;
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`switchyard: invalid port '${portText}': expected an integer from 0 to 65535.\n`);
    return 2;
  }
  const gw = await startSwitchyard({ config: loaded.config, ...(port !== undefined ? { port } : {}) });
  process.stdout.write(banner(gw, configPath));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      gw.deps.logger.info({ signal }, 'shutting down: draining in-flight requests');
      void gw.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  gw.deps.logger.info('stopped');
  return 0;
}
