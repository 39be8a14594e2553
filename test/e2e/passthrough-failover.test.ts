/**
 * Pass-through failover before the first byte: a provider whose endpoints are a closed port and the
 * openai simulator (in either order) answers files.list (the openai SDK) and a Realtime WebSocket
 * session from the simulator; a request with a body to the closed port is not sent again (502); the
 * failovers are counted and logged. The pick order is pinned where a test needs the closed port
 * first (`random` always 0: the pool then picks its first endpoint).
 */
import { connect, type TcpNetConnectOpts } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI, { InternalServerError, toFile } from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import WebSocket from 'ws';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';
import { realtimeAnswer } from '../../sim/realtime.js';
import { useTestGateway } from '../support/gateway.js';

const PROVIDER_KEY = 'sk-provider-secret-0123456789';
const TEAM_KEY = 'sk-gw-team-000000000001';
/** Nothing listens on port 1 of the loopback: connections are refused at once. */
const CLOSED = 'http://127.0.0.1:1/v1';

const passthroughYaml = (providers: string, entries: string) => `
version: 1
simulators:
  cloud: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 1, output_tokens: 4, api_key: ${PROVIDER_KEY} }
providers:
  cloud: { type: openai, base_url: sim://cloud, api_key: ${PROVIDER_KEY} }
${providers}
deployments:
  m@cloud: { provider: cloud, model: m, allow_floating: true }
routes:
  m: { targets: [m@cloud] }
passthrough:
${entries}
keys:
  - { name: team, key: "\${TEAM_KEY}" }
`;

/** The openai SDK always dials wss://; the test gateway speaks plain HTTP, so the socket is a plain TCP one. */
const plainTcp: WebSocket.ClientOptions = {
  createConnection: ((o: TcpNetConnectOpts) => connect({ host: o.host!, port: Number(o.port) })) as unknown as typeof connect,
};

const filesClient = (url: string, provider: string) =>
  new OpenAI({ baseURL: `${url}/passthrough/${provider}/v1`, apiKey: TEAM_KEY, maxRetries: 0, timeout: 15_000 });

/** A Realtime session through the official client: the text of one response. */
async function realtimeText(client: OpenAI): Promise<string> {
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: plainTcp }, client);
  try {
    return await new Promise<string>((resolve, reject) => {
      let deltas = '';
      rt.on('error', (e) => reject(e));
      rt.on('session.created', () => rt.send({ type: 'response.create', response: { output_modalities: ['text'] } }));
      rt.on('response.output_text.delta', (e) => (deltas += e.delta));
      rt.on('response.done', () => resolve(deltas));
    });
  } finally {
    rt.close();
  }
}

/** The status a WebSocket upgrade was refused with, or 101 when it opened. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TEAM_KEY}` } });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

/** A counter's value in a /metrics text (0 when the series is absent). */
function counter(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('a provider with a closed port and a live endpoint, in either order, picked at random', () => {
  const gw = useTestGateway(
    passthroughYaml(
      `  deadfirst: { type: openai, endpoints: ["${CLOSED}", sim://cloud], api_key: ${PROVIDER_KEY} }
  livefirst: { type: openai, endpoints: [sim://cloud, "${CLOSED}"], api_key: ${PROVIDER_KEY} }`,
      `  deadfirst: { paths: [/v1/files, /v1/realtime] }
  livefirst: { paths: [/v1/files, /v1/realtime] }`,
    ),
    { TEAM_KEY },
  );

  for (const provider of ['deadfirst', 'livefirst']) {
    it(`${provider}: files.list through the openai SDK succeeds every time`, async () => {
      for (let i = 0; i < 6; i++) {
        const listed = await filesClient(gw.url, provider).files.list();
        expect(listed.data).toEqual([]);
      }
      expect(
        gw
          .sim('cloud')
          .recentRequests()
          .filter((r) => r.path === '/v1/files'),
      ).toHaveLength(6);
    });

    it(`${provider}: a Realtime WebSocket session succeeds every time`, async () => {
      for (let i = 0; i < 3; i++) expect(await realtimeText(filesClient(gw.url, provider))).toBe(realtimeAnswer);
    });
  }
});

describe('failover with the pick order pinned (the first endpoint first), counted and logged', () => {
  const lines: Array<Record<string, unknown>> = [];
  let own: RunningGateway;
  const metrics = async () => (await fetch(`${own.url}/metrics`)).text();
  const failovers = async (provider: string) => counter(await metrics(), `switchyard_passthrough_failovers_total{provider="${provider}"}`);
  const sim = () => own.simulators.get('cloud')!;
  const requestLine = () => lines.filter((l) => l.msg === 'request' && l.operation === 'passthrough').at(-1);

  beforeAll(async () => {
    const loaded = loadConfigText(
      passthroughYaml(
        `  pool: { type: openai, endpoints: ["${CLOSED}", sim://cloud], api_key: ${PROVIDER_KEY} }
  reversed: { type: openai, endpoints: [sim://cloud, "${CLOSED}"], api_key: ${PROVIDER_KEY} }
  alldown: { type: openai, endpoints: ["${CLOSED}", "http://127.0.0.1:2/v1"], api_key: ${PROVIDER_KEY} }`,
        `  pool: { paths: [/v1/files, /v1/realtime] }
  reversed: { paths: [/v1/files, /v1/realtime] }
  alldown: { paths: [/v1/files, /v1/realtime] }`,
      ),
      'passthrough-failover.yaml',
      { TEAM_KEY },
    );
    if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    own = await startSwitchyard({
      config: loaded.config,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'info' }, sink),
      processMetrics: false,
      env: { TEAM_KEY },
      // Always 0: the pool's pick (power of two choices, a tie broken at random) returns its first endpoint.
      random: () => 0,
    });
  });
  afterAll(() => own.close(1000));
  beforeEach(() => {
    sim().resetStats();
    lines.length = 0;
  });

  it('files.list goes to the simulator after the closed port refused, and says so in the log and the metrics', async () => {
    const before = await failovers('pool');
    const listed = await filesClient(own.url, 'pool').files.list();
    expect(listed.data).toEqual([]);
    expect(await failovers('pool')).toBe(before + 1);
    expect(
      sim()
        .recentRequests()
        .filter((r) => r.path === '/v1/files'),
    ).toHaveLength(1);
    expect(requestLine()).toMatchObject({ provider: 'pool', method: 'GET', path: '/v1/files', status: 200, failovers: 1 });
    const warned = lines.find((l) => l.msg === 'pass-through endpoint unreachable: trying another endpoint of the provider');
    expect(warned).toMatchObject({ provider: 'pool', from: 'http://127.0.0.1:1', error: 'ECONNREFUSED' });
    expect(warned!.to).toBe(new URL(sim().origin).origin);
  });

  it('the reverse order never touches the closed port: no failover', async () => {
    const before = await failovers('reversed');
    await filesClient(own.url, 'reversed').files.list();
    expect(await failovers('reversed')).toBe(before);
    expect(requestLine()).toMatchObject({ provider: 'reversed', status: 200 });
    expect(requestLine()!.failovers).toBeUndefined();
  });

  it('a Realtime WebSocket upgrade fails over before the 101 and the session works', async () => {
    const before = await failovers('pool');
    expect(await realtimeText(filesClient(own.url, 'pool'))).toBe(realtimeAnswer);
    expect(await failovers('pool')).toBe(before + 1);
    const upgrade = sim()
      .recentRequests()
      .find((r) => r.path === '/v1/realtime');
    expect(upgrade?.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });

  it('a POST with a body is not sent again: 502 from the closed port, no failover, nothing reaches the simulator', async () => {
    const before = await failovers('pool');
    const err = await filesClient(own.url, 'pool')
      .files.create({ file: await toFile(Buffer.alloc(64 * 1024, 'x'), 'batch.jsonl'), purpose: 'batch' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as InternalServerError).status).toBe(502);
    expect((err as InternalServerError).error).toMatchObject({ code: 'upstream_unreachable' });
    expect(await failovers('pool')).toBe(before);
    expect(sim().recentRequests()).toHaveLength(0);
    const line = requestLine();
    expect(line).toMatchObject({ provider: 'pool', method: 'POST', status: 502, error: 'upstream_unreachable' });
    expect(line!.failovers).toBeUndefined();
    expect(
      counter(await metrics(), 'switchyard_passthrough_refusals_total{provider="pool",reason="upstream_unreachable"}'),
    ).toBeGreaterThan(0);
  });

  it('a POST with Content-Length 0 has nothing to replay: it fails over and the simulator answers it', async () => {
    const before = await failovers('pool');
    const res = await fetch(`${own.url}/passthrough/pool/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEAM_KEY}`, 'content-type': 'application/json' },
      body: '',
    });
    await res.arrayBuffer();
    expect(res.status).not.toBe(502);
    expect(await failovers('pool')).toBe(before + 1);
    expect(
      sim()
        .recentRequests()
        .filter((r) => r.method === 'POST' && r.path === '/v1/files'),
    ).toHaveLength(1);
  });

  it('when every endpoint is down: each tried once, then the existing 502, for a request and an upgrade', async () => {
    const before = await failovers('alldown');
    const res = await fetch(`${own.url}/passthrough/alldown/v1/files`, { headers: { authorization: `Bearer ${TEAM_KEY}` } });
    expect(res.status).toBe(502);
    expect((await res.json()) as unknown).toMatchObject({ error: { type: 'api_error', code: 'upstream_unreachable' } });
    expect(await failovers('alldown')).toBe(before + 1);
    expect(requestLine()).toMatchObject({ provider: 'alldown', status: 502, error: 'upstream_unreachable', failovers: 1 });
    expect(await upgradeStatus(`ws://127.0.0.1:${own.port}/passthrough/alldown/v1/realtime?model=x`)).toBe(502);
    expect(await failovers('alldown')).toBe(before + 2);
  });
});
