/**
 * Starts a real gateway (Express app on port 0, real undici transports) in front of in-process
 * simulators, from a YAML config text, for end-to-end tests driven by the official openai SDK.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import OpenAI from 'openai';
import { pino } from 'pino';
import { loadConfigText, formatIssue } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';
import { firstPoolMembers } from '../../gateway/runtime/pool-views.js';
import type { RunningSimulator } from '../../sim/index.js';

export interface TestGateway extends RunningGateway {
  readonly baseURL: string;
  client(options?: { apiKey?: string; maxRetries?: number; timeout?: number }): OpenAI;
  sim(name: string): RunningSimulator;
}

export async function startTestGateway(yaml: string, env: Record<string, string> = {}): Promise<TestGateway> {
  const loaded = loadConfigText(yaml, 'test.yaml', env);
  if (!loaded.ok) throw new Error(`test config invalid:\n${loaded.errors.map(formatIssue).join('\n')}`);
  const gw = await startSwitchyard({
    config: loaded.config,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    processMetrics: false,
    // Limits count in memory unless the test's config names Redis (never a REDIS_URL of the shell).
    env,
  });
  const baseURL = `${gw.url}/v1`;
  return Object.assign(gw, {
    baseURL,
    client: (options: { apiKey?: string; maxRetries?: number; timeout?: number } = {}) =>
      new OpenAI({
        baseURL,
        apiKey: options.apiKey ?? 'test-key',
        maxRetries: options.maxRetries ?? 0,
        timeout: options.timeout ?? 15_000,
      }),
    sim: (name: string) => {
      const s = gw.simulators.get(name);
      if (!s) throw new Error(`no simulator '${name}'`);
      return s;
    },
  });
}

/**
 * The gateway of one test file: started before its tests, closed after them, and reset before each
 * (config reloaded, so breakers, stats and cooldowns are fresh; simulators without faults or counts),
 * so every test starts from healthy deployments. The handle forwards to the gateway once it runs.
 */
export function useTestGateway(yaml: string, env: Record<string, string> = {}): TestGateway {
  let current: TestGateway | undefined;
  beforeAll(async () => {
    current = await startTestGateway(yaml, env);
  });
  afterAll(async () => {
    await current?.close(1000);
  });
  beforeEach(async () => {
    current!.reload(undefined, { freshState: true });
    for (const s of current!.simulators.values()) {
      s.clearFaults();
      s.resetStats();
    }
    // Fresh state makes new GPU pools: their servers join once probed and scraped (a few ms here).
    await firstPoolMembers(current!.deps.runtime.current, 3_000);
  });
  return new Proxy({} as TestGateway, {
    get(_target, prop) {
      if (!current) throw new Error('the test gateway is used before it started: use it inside tests or hooks');
      const value: unknown = Reflect.get(current, prop, current);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
}

/** A small config: a two-server vLLM pool with an OpenAI fallback, and an embeddings route. */
export function demoConfig(overrides: { timeouts?: string; keys?: string; serverExtra?: string } = {}): string {
  return `
version: 1
server:
  port: 0
  ${overrides.serverExtra ?? ''}
simulators:
  gpu-a: { kind: vllm, model: llama, ttft_ms: 5, tpot_ms: 1, output_tokens: 12 }
  gpu-b: { kind: vllm, model: llama, ttft_ms: 5, tpot_ms: 1, output_tokens: 12 }
  cloud: { kind: openai, model: gpt-4o-mini-2024-07-18, ttft_ms: 5, tpot_ms: 1, output_tokens: 12, api_key: sk-test-cloud-secret-123456 }
  embed: { kind: openai, model: text-embedding-3-small, ttft_ms: 1 }
providers:
  gpu: { type: vllm, endpoints: [sim://gpu-a, sim://gpu-b] }
  cloud: { type: openai, base_url: sim://cloud, api_key: sk-test-cloud-secret-123456 }
  embeddings: { type: openai, base_url: sim://embed }
deployments:
  llama@gpu: { provider: gpu, model: llama, capabilities: [tools, prefill] }
  mini@cloud: { provider: cloud, model: gpt-4o-mini-2024-07-18, price: { input_per_mtok: 0.15, output_per_mtok: 0.6 } }
  embed@cloud: { provider: embeddings, model: text-embedding-3-small, operations: [embeddings] }
routes:
  chat:
    targets: [llama@gpu]
    fallbacks: [mini@cloud]
    ${overrides.timeouts ?? ''}
  mini:
    targets: [mini@cloud]
    ${overrides.timeouts ?? ''}
  embed:
    targets: [embed@cloud]
${overrides.keys ?? ''}
`;
}

/** Reads an SSE response body into its `data:` payloads. */
export async function readSse(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data:'))
    .map((e) => e.slice('data:'.length).trim());
}

/** A gateway in front of a local upstream server the test scripts itself (see useUpstreamGateway). */
export interface UpstreamGateway {
  readonly gw: TestGateway;
  readonly upstream: Server;
}

/**
 * For tests that need an upstream no simulator plays: a node:http server with `handler`, reached as
 * provider `up`, deployment `d` (serving `model`, default `m`), and the routes given as YAML (default
 * `r: { targets: [d] }`). Started before the file's tests, closed after them.
 */
export function useUpstreamGateway(handler: RequestListener, options: { model?: string; routes?: string } = {}): UpstreamGateway {
  let current: { gw: TestGateway; upstream: Server } | undefined;
  beforeAll(async () => {
    const upstream = createServer(handler);
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const gw = await startTestGateway(`
version: 1
providers:
  up: { type: openai, base_url: "http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1" }
deployments:
  d: { provider: up, model: ${options.model ?? 'm'}, allow_floating: true }
routes:
${options.routes ?? '  r: { targets: [d] }'}
`);
    current = { gw, upstream };
  });
  afterAll(async () => {
    await current?.gw.close(1000);
    current?.upstream.closeAllConnections();
    await new Promise((resolve) => current?.upstream.close(resolve));
  });
  const started = () => {
    if (!current) throw new Error('the upstream gateway is used before it started: use it inside tests or hooks');
    return current;
  };
  return {
    get gw() {
      return started().gw;
    },
    get upstream() {
      return started().upstream;
    },
  };
}
