/**
 * `/passthrough/{provider}/...` end to end: the real openai SDK (files, and the Realtime API over a
 * WebSocket) against the gateway in front of the openai simulator. The client authenticates with its
 * gateway key, the simulator sees only the provider's key; permissions, limits and path prefixes are
 * enforced; and no request target, Host or X-Forwarded-Host reaches another host (a listener on
 * another port counts connections and sees none).
 */
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type TcpNetConnectOpts } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { PermissionDeniedError, RateLimitError, toFile } from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import WebSocket from 'ws';
import { realtimeAnswer } from '../../sim/realtime.js';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';
import { startTestGateway, useTestGateway } from '../support/gateway.js';

const PROVIDER_KEY = 'sk-provider-secret-0123456789';
const env = {
  TEAM_KEY: 'sk-gw-team-000000000001',
  CHAT_KEY: 'sk-gw-chat-000000000002',
  LIMITED_KEY: 'sk-gw-limited-0000000003',
};

const gw = useTestGateway(
  `
version: 1
simulators:
  cloud: { kind: openai, model: gpt-4o-mini-2024-07-18, ttft_ms: 1, tpot_ms: 1, output_tokens: 4, api_key: ${PROVIDER_KEY} }
providers:
  cloud: { type: openai, base_url: sim://cloud, api_key: ${PROVIDER_KEY} }
  capped: { type: openai, base_url: sim://cloud, api_key: ${PROVIDER_KEY} }
deployments:
  mini@cloud: { provider: cloud, model: gpt-4o-mini-2024-07-18 }
routes:
  mini: { targets: [mini@cloud] }
passthrough:
  cloud: { paths: [/v1/files, /v1/realtime] }
  capped: { paths: [/v1/files], limits: { rpm: 2 } }
keys:
  - { name: team, key: "\${TEAM_KEY}" }
  - { name: chat-only, key: "\${CHAT_KEY}", routes: [mini] }
  - { name: limited, key: "\${LIMITED_KEY}", limits: { rpm: 1 } }
`,
  env,
);

const filesClient = (apiKey = env.TEAM_KEY, provider = 'cloud') =>
  new OpenAI({ baseURL: `${gw.url}/passthrough/${provider}/v1`, apiKey, maxRetries: 0, timeout: 15_000 });

/** The openai SDK always dials wss://; the test gateway speaks plain HTTP, so the socket is a plain TCP one (TLS is not what is tested). */
const plainTcp: WebSocket.ClientOptions = {
  // ws hands over the URL's path as `path` (an IPC path to net.connect), so only host and port are passed on.
  createConnection: ((o: TcpNetConnectOpts) => connect({ host: o.host!, port: Number(o.port) })) as unknown as typeof connect,
};

/** What the simulator saw on the requests it recorded. */
function simSaw() {
  return gw.sim('cloud').recentRequests();
}

/**
 * One raw HTTP exchange: exact request bytes (no client-side URL normalisation); resolves at the end
 * of the response head (101) or of the response.
 */
function raw(lines: string[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: gw.port });
    let text = '';
    const done = () => {
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

const upgradeHeaders = [
  'Connection: Upgrade',
  'Upgrade: websocket',
  'Sec-WebSocket-Version: 13',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
];

describe('files through the real openai SDK', () => {
  it('uploads a few hundred KB (multipart, streamed), lists it and reads its content back byte for byte', async () => {
    const lines = Array.from({ length: 4000 }, (_, i) =>
      JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions' }),
    );
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    expect(bytes.length).toBeGreaterThan(200_000);
    const client = filesClient();
    const file = await client.files.create({ file: await toFile(bytes, 'batch.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', bytes: bytes.length, filename: 'batch.jsonl', purpose: 'batch' });
    const listed = await client.files.list();
    expect(listed.data.map((f) => f.id)).toContain(file.id);
    expect(await client.files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: bytes.length });
    const content = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
    expect(content.equals(bytes)).toBe(true);
  });

  it("sends the provider's key upstream and never the client's, with the upstream's own Host", async () => {
    await filesClient().files.list();
    const seen = simSaw().filter((r) => r.path === '/v1/files');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(seen[0]!.headers.host).toBe(new URL(gw.sim('cloud').origin).host);
    expect(JSON.stringify(seen[0]!.headers)).not.toContain(env.TEAM_KEY);
  });

  it('refuses a key without the permission with 403, and nothing reaches the upstream', async () => {
    const err = await filesClient(env.CHAT_KEY)
      .files.list()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).status).toBe(403);
    expect((err as PermissionDeniedError).message).toContain("The key 'chat-only' may not use pass-through 'cloud'");
    expect(simSaw()).toHaveLength(0);
  });

  it("refuses a request without a gateway key (401) and a wrong one, never forwarding the client's", async () => {
    const res = await fetch(`${gw.url}/passthrough/cloud/v1/files`, {
      headers: { authorization: `Bearer ${PROVIDER_KEY}-not-a-gateway-key` },
    });
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(simSaw()).toHaveLength(0);
  });

  it("answers 429 with Retry-After once the entry's rpm is spent", async () => {
    const client = filesClient(env.TEAM_KEY, 'capped');
    await client.files.list();
    await client.files.list();
    const err = await client.files.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).message).toContain("Rate limit reached for pass-through 'capped': 2 requests per minute");
    expect(Number((err as RateLimitError).headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(simSaw()).toHaveLength(2);
  });

  it('refuses a path outside the prefixes with 404 saying what is allowed', async () => {
    const res = await fetch(`${gw.url}/passthrough/cloud/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.TEAM_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'passthrough_path_not_allowed' });
    expect(body.error.message).toContain('Allowed under /passthrough/cloud: /v1/files, /v1/realtime');
    expect(simSaw()).toHaveLength(0);
  });
});

describe('the Realtime API over the WebSocket pass-through', () => {
  it('works with the unmodified OpenAIRealtimeWS: session.created, then response.create answered with text', async () => {
    const client = filesClient();
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: plainTcp }, client);
    const events: string[] = [];
    rt.on('event', (e) => events.push(e.type));
    const text = await new Promise<string>((resolve, reject) => {
      let deltas = '';
      rt.on('error', (e) => reject(e));
      rt.on('session.created', () => rt.send({ type: 'response.create', response: { output_modalities: ['text'] } }));
      rt.on('response.output_text.delta', (e) => (deltas += e.delta));
      rt.on('response.done', () => resolve(deltas));
    });
    rt.close();
    expect(text).toBe(realtimeAnswer);
    expect(events.slice(0, 3)).toEqual(['session.created', 'response.created', 'response.output_item.added']);
    const upgrade = simSaw().find((r) => r.path === '/v1/realtime')!;
    expect(upgrade.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(JSON.stringify(upgrade.headers)).not.toContain(env.TEAM_KEY);
  });

  it("takes the browser's key subprotocol, and forwards the other subprotocols without it", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/passthrough/cloud/v1/realtime?model=gpt-realtime`, [
      'realtime',
      `openai-insecure-api-key.${env.TEAM_KEY}`,
    ]);
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString('utf8')) as { type: string }));
      ws.once('error', reject);
    });
    expect(first.type).toBe('session.created');
    expect(ws.protocol).toBe('realtime');
    ws.close();
    const upgrade = simSaw().find((r) => r.path === '/v1/realtime')!;
    expect(upgrade.headers['sec-websocket-protocol']).toBe('realtime');
    expect(upgrade.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });

  /** The status a refused upgrade is answered with, and its headers. */
  function refusedUpgrade(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      ws.once('error', () => undefined);
    });
  }

  it("applies the key's request limits to upgrades: the second in a minute is refused with 429 and Retry-After", async () => {
    const url = `ws://127.0.0.1:${gw.port}/passthrough/cloud/v1/realtime?model=gpt-realtime`;
    const auth = { authorization: `Bearer ${env.LIMITED_KEY}` };
    const ws = new WebSocket(url, { headers: auth });
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    ws.close();
    const refused = await refusedUpgrade(url, auth);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { type: 'requests', code: 'rate_limit_exceeded' } });
  });

  it('refuses an upgrade without permission (403) and one to a path outside the prefixes (404)', async () => {
    const forbidden = await refusedUpgrade(`ws://127.0.0.1:${gw.port}/passthrough/cloud/v1/realtime?model=x`, {
      authorization: `Bearer ${env.CHAT_KEY}`,
    });
    expect(forbidden.status).toBe(403);
    const outside = await refusedUpgrade(`ws://127.0.0.1:${gw.port}/passthrough/capped/v1/realtime?model=x`, {
      authorization: `Bearer ${env.TEAM_KEY}`,
    });
    expect(outside.status).toBe(404);
    expect(simSaw()).toHaveLength(0);
  });

  it('answers an upgrade of any other path with an error and closes: nothing hangs', async () => {
    const refused = await raw(['GET /v1/chat/completions HTTP/1.1', 'Host: x', ...upgradeHeaders]);
    expect(refused.status).toBe(404);
    expect(refused.text).toContain('"code":"unknown_url"');
  });
});

describe('no request reaches another host (SSRF)', () => {
  let other: Server;
  let connections = 0;
  let otherPort = 0;
  beforeAll(async () => {
    other = createServer((_req, res) => res.end('other'));
    other.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherPort = (other.address() as AddressInfo).port;
  });
  afterAll(async () => {
    other.closeAllConnections();
    await new Promise((resolve) => other.close(resolve));
  });

  const auth = () => `Authorization: Bearer ${env.TEAM_KEY}`;

  it('refuses targets that name a host, climb out of the prefix or hide a separator', async () => {
    const targets = [
      `/passthrough/cloud/http://127.0.0.1:${otherPort}/x`,
      `/passthrough/cloud//127.0.0.1:${otherPort}/x`,
      `/passthrough/cloud/v1/files/../../../http://127.0.0.1:${otherPort}/x`,
      `/passthrough/cloud/v1/files/%2e%2e/%2e%2e/x`,
      `/passthrough/cloud/v1/files%2F..%2F..%2Fx`,
      `/passthrough/cloud/v1/files%5C..%5Cx`,
      `/passthrough/cloud/v1/files/%2f127.0.0.1:${otherPort}`,
      `http://127.0.0.1:${otherPort}/passthrough/cloud/v1/files`,
      `http://127.0.0.1:${otherPort}/v1/files`,
      `//127.0.0.1:${otherPort}/passthrough/cloud/v1/files`,
    ];
    for (const target of targets) {
      for (const upgrade of [false, true]) {
        const answer = await raw([
          `GET ${target} HTTP/1.1`,
          'Host: 127.0.0.1',
          auth(),
          'Connection: close',
          ...(upgrade ? upgradeHeaders : []),
        ]);
        expect([400, 404], `${upgrade ? 'upgrade' : 'GET'} ${target}`).toContain(answer.status);
        expect(answer.text).toMatch(/"error":\{"message":/);
      }
    }
    expect(simSaw()).toHaveLength(0);
    expect(connections).toBe(0);
  });

  it('sends a request with a foreign Host, X-Forwarded-Host or Forwarded to the configured upstream only', async () => {
    for (const header of [
      `Host: 127.0.0.1:${otherPort}`,
      `X-Forwarded-Host: 127.0.0.1:${otherPort}`,
      `Forwarded: host=127.0.0.1:${otherPort}`,
    ]) {
      const host = header.startsWith('Host:') ? [] : ['Host: 127.0.0.1'];
      const answer = await raw(['GET /passthrough/cloud/v1/files HTTP/1.1', ...host, header, auth(), 'Connection: close']);
      expect(answer.status, header).toBe(200);
      expect(answer.text).toContain('"object":"list"');
      const upgrade = await raw(['GET /passthrough/cloud/v1/realtime?model=x HTTP/1.1', ...host, header, auth(), ...upgradeHeaders]);
      expect(upgrade.status, `upgrade with ${header}`).toBe(101);
    }
    const seen = simSaw();
    expect(seen).toHaveLength(6);
    const simHost = new URL(gw.sim('cloud').origin).host;
    for (const r of seen) {
      expect(r.headers.host).toBe(simHost);
      expect(r.headers['x-forwarded-host']).toBeUndefined();
      expect(r.headers.forwarded).toBeUndefined();
    }
    expect(connections).toBe(0);
  });
});

describe('metrics', () => {
  it('counts pass-through requests, refusals and open WebSockets with bounded labels', async () => {
    await filesClient().files.list();
    await filesClient(env.CHAT_KEY)
      .files.list()
      .catch(() => undefined);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/passthrough/cloud/v1/realtime?model=x`, {
      headers: { authorization: `Bearer ${env.TEAM_KEY}` },
    });
    await new Promise((resolve) => ws.once('message', resolve));
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/switchyard_passthrough_requests_total\{provider="cloud",status_class="2xx"\} [1-9]/);
    expect(text).toMatch(/switchyard_passthrough_refusals_total\{provider="cloud",reason="forbidden"\} [1-9]/);
    expect(text).toMatch(/switchyard_passthrough_websockets\{provider="cloud"\} 1/);
    expect(text).toMatch(/switchyard_passthrough_request_duration_seconds_count\{provider="cloud"\} [1-9]/);
    expect(text).not.toContain(env.TEAM_KEY);
    expect(text).not.toContain(PROVIDER_KEY);
    ws.close();
  });
});

describe('log lines, an unreachable upstream, and shutdown', () => {
  const lines: Array<Record<string, unknown>> = [];
  let own: RunningGateway;
  beforeAll(async () => {
    const loaded = loadConfigText(
      `
version: 1
simulators:
  cloud: { kind: openai, model: m, api_key: ${PROVIDER_KEY} }
providers:
  cloud: { type: openai, base_url: sim://cloud, api_key: ${PROVIDER_KEY} }
  down: { type: openai, base_url: "http://127.0.0.1:1/v1", api_key: ${PROVIDER_KEY} }
deployments:
  m@cloud: { provider: cloud, model: m, allow_floating: true }
routes:
  m: { targets: [m@cloud] }
passthrough:
  cloud: { paths: [/v1/files, /v1/realtime] }
  down: { paths: [/v1/files, /v1/realtime] }
keys:
  - { name: team, key: "\${TEAM_KEY}" }
`,
      'passthrough-logs.yaml',
      env,
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
      env,
    });
  });
  afterAll(() => own.close(1000));

  it('writes one request line per pass-through: provider, path, key name, status; never a key or the query', async () => {
    const res = await fetch(`${own.url}/passthrough/cloud/v1/files?purpose=batch&token=query-secret-123`, {
      headers: { authorization: `Bearer ${env.TEAM_KEY}` },
    });
    expect(res.status).toBe(200);
    await res.text();
    const line = lines.find((l) => l.msg === 'request' && l.operation === 'passthrough');
    expect(line).toMatchObject({ provider: 'cloud', method: 'GET', path: '/v1/files', key: 'team', status: 200 });
    expect(typeof line!.requestId).toBe('string');
    const all = JSON.stringify(lines);
    expect(all).not.toContain(env.TEAM_KEY);
    expect(all).not.toContain(PROVIDER_KEY);
    expect(all).not.toContain('query-secret-123');
  });

  it('answers 502 in the OpenAI shape when the upstream cannot be reached, for requests and upgrades', async () => {
    const res = await fetch(`${own.url}/passthrough/down/v1/files`, { headers: { authorization: `Bearer ${env.TEAM_KEY}` } });
    expect(res.status).toBe(502);
    expect((await res.json()) as unknown).toMatchObject({ error: { type: 'api_error', code: 'upstream_unreachable' } });
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${own.port}/passthrough/down/v1/realtime?model=x`, {
        headers: { authorization: `Bearer ${env.TEAM_KEY}` },
      });
      ws.once('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.once('error', () => undefined);
    });
    expect(status).toBe(502);
  });

  it('graceful shutdown closes an open proxied WebSocket and finishes', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${own.port}/passthrough/cloud/v1/realtime?model=x`, {
      headers: { authorization: `Bearer ${env.TEAM_KEY}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await own.close(50);
    await closed;
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    expect(lines.some((l) => l.msg === 'shutdown grace ran out: closing open pass-through requests and WebSockets')).toBe(true);
  });
});

describe('streaming both ways', () => {
  let upstream: Server;
  let own: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    // Answers as soon as the first chunk of the request body arrives, and ends only after the body ended:
    // it can only finish if the gateway forwards the request body and the answer while both are open.
    upstream = createServer((req, res) => {
      req.once('data', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(`first chunk arrived; authorization=${req.headers.authorization}\n`);
      });
      req.on('end', () => res.end('body ended\n'));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    own = await startTestGateway(`
version: 1
providers:
  up: { type: openai, base_url: "http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1", api_key: ${PROVIDER_KEY} }
deployments:
  d: { provider: up, model: m, allow_floating: true }
routes:
  r: { targets: [d] }
passthrough:
  up: { paths: [/v1/uploads] }
`);
  });
  afterAll(async () => {
    await own.close(1000);
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('forwards the request body while the client still sends it, and the answer while the upstream still writes it', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${own.url}/passthrough/up/v1/uploads`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
      req.on('error', reject);
      req.write('part one of the body\n');
      req.on('response', (res) => {
        let received = '';
        res.on('data', (d: Buffer) => {
          received += d.toString('utf8');
          // The rest of the body is sent only once the upstream's first line came back through the gateway.
          if (received.includes('first chunk arrived') && !req.writableEnded) req.end('part two\n');
        });
        res.on('end', () => resolve(received));
      });
    });
    expect(text).toBe(`first chunk arrived; authorization=Bearer ${PROVIDER_KEY}\nbody ended\n`);
  });
});
