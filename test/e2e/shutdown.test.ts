/**
 * Graceful shutdown keeps its promise: readiness fails first while requests are still served (the
 * drain delay), then the listener closes (new connections refused) while in-flight work finishes, and
 * whatever is still open when the grace ends is ended by the gateway, visibly: a started stream gets a
 * shutting_down error event (the SDK raises APIError), anything else a 503, the upstream attempt is
 * cancelled, and the request is recorded as 503 shutting_down, not as a 499 client disconnect.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { pino } from 'pino';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';
import { pollUntil } from '../support/poll.js';
import { killCliProcessesAfterEach, startCli } from '../support/cli-process.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

killCliProcessesAfterEach();

/** `slow` streams one token every 100 ms for a minute: it is still streaming whenever a test needs it to. */
const config = (server = '') => `
version: 1
server:
  port: 0
  ${server}
simulators:
  slow: { kind: openai, model: m, ttft_ms: 5, tpot_ms: 100, output_tokens: 600 }
  quick: { kind: openai, model: m, ttft_ms: 5, tpot_ms: 1, output_tokens: 8 }
providers:
  slow: { type: openai, base_url: sim://slow }
  quick: { type: openai, base_url: sim://quick }
deployments:
  slow@sim: { provider: slow, model: m, allow_floating: true }
  quick@sim: { provider: quick, model: m, allow_floating: true }
routes:
  slow: { targets: [slow@sim], retries: { same_deployment: 0 } }
  quick: { targets: [quick@sim] }
`;

interface Started {
  gw: RunningGateway;
  client: OpenAI;
  /** The JSON log lines written so far. */
  logs: Array<Record<string, unknown>>;
}

let running: RunningGateway | undefined;
afterEach(async () => {
  running?.hurry();
  await running?.close(100);
  running = undefined;
});

async function start(): Promise<Started> {
  const loaded = loadConfigText(config(), 'shutdown.yaml', {});
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const gw = await startSwitchyard({
    config: loaded.config,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'info' }, sink),
    processMetrics: false,
  });
  running = gw;
  return { gw, client: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 }), logs };
}

/** Whether a new TCP connection to `port` is refused (the listener is closed). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

const ask = (client: OpenAI, model = 'quick') => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

const requestLine = (logs: Array<Record<string, unknown>>, route: string) => logs.find((l) => l.msg === 'request' && l.route === route);

describe('the drain delay', () => {
  it('fails readiness at once while new requests are still served; after it, new connections are refused', async () => {
    const { gw, client } = await start();
    expect((await fetch(`${gw.url}/health/ready`)).status).toBe(200);
    const closing = gw.close(1000, { drainDelayMs: 60_000 });
    const ready = await fetch(`${gw.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'shutting_down' });
    expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
    // A new connection, a new request: served normally.
    expect(await refused(gw.port)).toBe(false);
    expect((await ask(client)).choices[0]!.message.content).toBeTruthy();
    const stream = await client.chat.completions.create({ model: 'quick', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let chunks = 0;
    for await (const _ of stream) chunks += 1;
    expect(chunks).toBeGreaterThan(0);
    gw.hurry();
    await closing;
    expect(await refused(gw.port)).toBe(true);
  });

  it('ends on its own, then the listener closes while an in-flight stream still finishes', async () => {
    const { gw, client } = await start();
    const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const closing = gw.close(60_000, { drainDelayMs: 50 });
    await pollUntil(() => refused(gw.port), 'the listener to close after the drain delay');
    // The stream still flows after the listener closed.
    expect((await it.next()).done).toBe(false);
    expect(gw.deps.state.inFlight).toBe(1);
    gw.hurry();
    await expect(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next());
      })(),
    ).rejects.toMatchObject({ code: 'shutting_down' });
    await closing;
  });
});

describe('when the grace runs out', () => {
  it('ends an open stream with a shutting_down error event, cancels its upstream attempt, and records 503, not 499', async () => {
    const { gw, client, logs } = await start();
    const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let chunks = 0;
    let caught: unknown;
    const closing = (async () => {
      try {
        for await (const _ of stream) {
          chunks += 1;
          if (chunks === 2) void gw.close(200);
        }
      } catch (err) {
        caught = err;
      }
    })();
    await closing;
    await gw.close();
    expect(caught).toBeInstanceOf(APIError);
    expect(caught).toMatchObject({ code: 'shutting_down', type: 'api_error' });
    expect((caught as Error).message).toContain('The gateway is shutting down');
    await pollUntil(() => gw.simulators.get('slow')!.stats().aborted === 1, 'the simulator to see the attempt aborted');
    expect(gw.simulators.get('slow')!.stats().completed).toBe(0);
    await pollUntil(() => requestLine(logs, 'slow') !== undefined, 'the request log line');
    expect(requestLine(logs, 'slow')).toMatchObject({ status: 503, error: 'shutting_down', stream: true, deployment: 'slow@sim' });
    const metrics = await gw.deps.metrics.registry.metrics();
    expect(metrics).toMatch(/switchyard_requests_total\{route="slow",operation="chat",deployment="slow@sim",status_class="5xx"\} 1/);
    expect(metrics).not.toMatch(/switchyard_client_aborts_total\{route="slow"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_stream_errors_total\{route="slow",deployment="slow@sim",kind="shutting_down"\} 1/);
  });

  it('answers a non-stream request still waiting with a 503 shutting_down, and cancels its upstream attempt', async () => {
    const { gw, client, logs } = await start();
    gw.simulators.get('slow')!.setFaults([{ type: 'hang' }]);
    const pending = ask(client, 'slow').then(
      () => undefined,
      (err: unknown) => err,
    );
    await pollUntil(() => gw.simulators.get('slow')!.stats().inFlight === 1, 'the upstream attempt to start');
    await gw.close(100);
    const err = await pending;
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ status: 503, code: 'shutting_down' });
    await pollUntil(() => gw.simulators.get('slow')!.stats().aborted === 1, 'the simulator to see the attempt aborted');
    await pollUntil(() => requestLine(logs, 'slow') !== undefined, 'the request log line');
    expect(requestLine(logs, 'slow')).toMatchObject({ status: 503, error: 'shutting_down', stream: false });
  });

  it('answers a stream that has not started yet with a 503 shutting_down', async () => {
    const { gw, client } = await start();
    gw.simulators.get('slow')!.setFaults([{ type: 'hang' }]);
    const pending = client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await pollUntil(() => gw.simulators.get('slow')!.stats().inFlight === 1, 'the upstream attempt to start');
    await gw.close(100);
    expect(await pending).toMatchObject({ status: 503, code: 'shutting_down' });
  });
});

describe('switchyard start, on SIGTERM', () => {
  it('fails readiness while serving, and a second signal ends an open stream with shutting_down (logged 503), then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-shutdown-'));
    const file = join(dir, 'slow.yaml');
    writeFileSync(file, config('drain_delay_ms: 60000\n  shutdown_grace_ms: 60000'));
    const gw = await startCli(['--config', file], { LOG_LEVEL: 'info' });
    const client = new OpenAI({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const origin = new URL(gw.url).origin;
    const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    gw.child.kill('SIGTERM');
    await pollUntil(async () => (await fetch(`${origin}/health/ready`)).status === 503, '/health/ready to answer 503');
    expect((await ask(client)).choices[0]!.message.content).toBeTruthy();
    gw.child.kill('SIGTERM');
    await expect(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next());
      })(),
    ).rejects.toMatchObject({ code: 'shutting_down' });
    expect(await gw.closed()).toBe(0);
    const line = requestLine(gw.logs(), 'slow');
    expect(line).toMatchObject({ status: 503, error: 'shutting_down', stream: true });
    expect(gw.logs().some((l) => l.status === 499)).toBe(false);
  });
});
