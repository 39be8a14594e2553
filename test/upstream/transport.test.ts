/**
 * The transport against local servers: HTTP/2 where TLS's ALPN agrees to it, HTTP/1.1 over plain http
 * (no h2c), and a configured connection cap that refuses at once, naming itself, instead of queueing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../adapters/upstream-error.js';
import { createTransport, type Transport } from '../../upstream/transport.js';

const timeouts = { headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 };
const post = { method: 'POST' as const, path: '/chat/completions', headers: { 'content-type': 'application/json' }, body: '{}' };

/** Answers with the HTTP version the request came in over; `/hold` waits until `release()`. */
let held: Array<() => void> = [];
function answer(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  req.resume();
  const send = () => res.end(JSON.stringify({ version: req.httpVersion }));
  if (req.url === '/v1/hold/chat/completions') held.push(send);
  else send();
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return String((server.address() as AddressInfo).port);
}

let certDir = '';
let h2Server: Server;
let h1Server: Server;
let h2Port = '';
let h1Port = '';
let previousTlsSetting: string | undefined;
const transports: Transport[] = [];

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  const [key, cert] = [join(certDir, 'key.pem'), join(certDir, 'cert.pem')];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
    {
      stdio: 'ignore',
    },
  );
  // The transport takes no trust settings of its own; this worker's connections trust the test cert.
  previousTlsSetting = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  h2Server = createSecureServer({ key: readFileSync(key), cert: readFileSync(cert), allowHTTP1: true }, answer);
  h1Server = createServer(answer);
  [h2Port, h1Port] = await Promise.all([listen(h2Server), listen(h1Server)]);
});

afterEach(async () => {
  for (const release of held) release();
  held = [];
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  if (previousTlsSetting === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTlsSetting;
  await Promise.all([h2Server, h1Server].map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(certDir, { recursive: true, force: true });
});

function transport(url: string, connections?: number): Transport {
  const t = createTransport(url, { connections, connectTimeoutMs: 2_000 });
  transports.push(t);
  return t;
}

async function versionOf(t: Transport, path = post.path): Promise<string> {
  const res = await t.request({ ...post, path }, new AbortController().signal, timeouts);
  let text = '';
  for await (const chunk of res.body) text += String(chunk);
  return (JSON.parse(text) as { version: string }).version;
}

describe('transport', () => {
  it('speaks HTTP/2 to an https upstream that offers it', async () => {
    expect(await versionOf(transport(`https://127.0.0.1:${h2Port}/v1`))).toBe('2.0');
  });

  it('speaks HTTP/1.1 to a plain http upstream', async () => {
    expect(await versionOf(transport(`http://127.0.0.1:${h1Port}/v1`))).toBe('1.1');
  });

  it('refuses a request past max_connections at once, naming the local cap, and serves again once one is free', async () => {
    const t = transport(`http://127.0.0.1:${h1Port}/v1`, 1);
    const first = t.request({ ...post, path: '/hold/chat/completions' }, new AbortController().signal, timeouts);
    const refused = await t.request(post, new AbortController().signal, timeouts).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UpstreamError);
    expect(refused).toMatchObject({ kind: 'overloaded', retryable: true });
    expect((refused as UpstreamError).message).toMatch(/max_connections: 1.*upstream was not asked/);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    held.shift()!();
    for await (const chunk of (await first).body) void chunk;
    expect(await versionOf(t)).toBe('1.1');
  });

  it('has no cap by default: many held requests are all open upstream at once', async () => {
    const t = transport(`http://127.0.0.1:${h1Port}/v1`);
    const n = 200;
    const requests = Array.from({ length: n }, () =>
      t.request({ ...post, path: '/hold/chat/completions' }, new AbortController().signal, timeouts),
    );
    await expect.poll(() => held.length, { timeout: 20_000 }).toBe(n);
    for (const release of held.splice(0)) release();
    for (const res of await Promise.all(requests)) for await (const chunk of res.body) void chunk;
  });
});
