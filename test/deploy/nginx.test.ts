/**
 * deploy/nginx/nginx.conf on a real nginx (rendered for loopback by ./nginx-harness.ts, which lists its
 * rewrites), in front of a real gateway: streams pass through unbuffered, the gateway's own errors pass
 * through untouched, a body of exactly the gateway's limit reaches the gateway, request ids carry
 * through, and the errors nginx answers itself (413 beyond the body limit, 502 with the gateway down,
 * 504 when it never answers, 405, 400) are OpenAI JSON errors. The body limit and the read timeout are
 * also checked against the gateway config compose mounts, and every declared error page statically.
 * The pass-through's location is checked here statically; nginx-passthrough.test.ts runs it.
 */
import { createServer as createHttpServer, request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseByteSize } from '../../config/loader.js';
import { errorCatalogue, type ErrorCode } from '../../gateway/errors/catalogue.js';
import { expectSchema } from '../support/openapi.js';
import { demoConfig, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  composeGatewayConfig,
  freePort,
  rawRequest,
  readNginxConf,
  startNginx,
  type RawResponse,
  type RunningNginx,
} from './nginx-harness.js';

const conf = readNginxConf();
const bodyLimit = parseByteSize(composeGatewayConfig().server.body_limit);

/** An nginx size (`4m`, `512k`, bytes) in bytes. */
function nginxSize(text: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) throw new Error(`not an nginx size: ${text}`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
}

/** An nginx time (`330s`, `5m`, `1h`) in milliseconds. */
function nginxTimeMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new Error(`not an nginx time: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

/** nginx's own error pages: status -> the named location and the body it returns, as the file declares them. */
function errorPages(text: string): Map<number, { location: string; block: string; body: string | undefined }> {
  const pages = new Map<number, { location: string; block: string; body: string | undefined }>();
  for (const [, status, location] of text.matchAll(/^\s*error_page (\d{3}) @(\S+);$/gm)) {
    const block = new RegExp(`\\n    location @${location} \\{\\n([\\s\\S]*?)\\n    \\}\\n`).exec(text)?.[1] ?? '';
    const body = new RegExp(`^\\s*return ${status} '(.*)\\\\n';$`, 'm').exec(block)?.[1];
    pages.set(Number(status), { location: location!, block, body });
  }
  return pages;
}

const pages = errorPages(conf);

/** The body of a top-level `location <path> {` of the server block, as the file writes it. */
function locationBlock(text: string, path: string): string {
  const at = text.indexOf(`\n    location ${path} {\n`);
  if (at < 0) throw new Error(`deploy/nginx/nginx.conf has no 'location ${path}'`);
  const end = text.indexOf('\n    }\n', at);
  return text.slice(at, end);
}

/** A directive's value in a block (`name value;` on a line of its own), or undefined. */
function directive(block: string, name: string): string | undefined {
  return new RegExp(`^\\s*${name} (.+);$`, 'm').exec(block)?.[1];
}

/**
 * An error nginx answered itself: exactly the body its error page declares (which the gateway never
 * sends), as JSON with the content type, the OpenAI envelope (validated against the spec) and a request id.
 */
function expectNginxError(res: RawResponse, status: number, code: ErrorCode): { message: string } {
  expect(res.status, res.body).toBe(status);
  expect(res.body).toBe(`${pages.get(status)!.body!}\n`);
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  const json = JSON.parse(res.body) as { error: { message: string } };
  expectSchema('ErrorResponse', json);
  expect(json).toEqual({ error: { message: expect.any(String), type: errorCatalogue[code].type, param: null, code } });
  return json.error;
}

/** POSTs `body` with Content-Length, or chunked (no length declared up front), and reads the whole response. */
function post(url: string, body: Buffer, options: { chunked?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!options.chunked) headers['content-length'] = String(body.length);
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        resolve({ status: res.statusCode!, headers: flat, body: text });
      });
    });
    req.on('error', reject);
    if (!options.chunked) {
      req.end(body);
      return;
    }
    for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
    req.end();
  });
}

/** A chat request of exactly `size` bytes (the user message is padded). */
function chatBodyOfSize(size: number): Buffer {
  const head = '{"model":"chat","max_tokens":1,"messages":[{"role":"user","content":"';
  const tail = '"}]}';
  return Buffer.from(head + 'a'.repeat(size - head.length - tail.length) + tail);
}

describe('deploy/nginx/nginx.conf against the gateway config compose mounts', () => {
  it("limits bodies to exactly the gateway's server.body_limit, and its 413 says so", () => {
    // The server block's own limit (four spaces in), which every location but /passthrough/ inherits.
    const limit = /^ {4}client_max_body_size (\S+);$/m.exec(conf);
    expect(limit, 'client_max_body_size').not.toBeNull();
    expect(nginxSize(limit![1]!)).toBe(bodyLimit);
    expect(directive(locationBlock(conf, '/'), 'client_max_body_size')).toBeUndefined();
    expect(conf).toContain(`the limit is ${bodyLimit} bytes`);
  });

  it('lets /passthrough/ upgrade to a WebSocket and stream larger uploads, and its 413 names that limit too', () => {
    const block = locationBlock(conf, '/passthrough/');
    expect(directive(block, 'proxy_set_header Upgrade')).toBe('$http_upgrade');
    expect(directive(block, 'proxy_set_header Connection')).toBe('$connection_upgrade');
    expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*'' +'';\s*\}/);
    expect(directive(block, 'proxy_request_buffering')).toBe('off');
    expect(directive(block, 'proxy_buffering')).toBe('off');
    const limit = nginxSize(directive(block, 'client_max_body_size')!);
    expect(limit).toBeGreaterThan(bodyLimit);
    expect(pages.get(413)!.body).toContain(`${limit} bytes under /passthrough/`);
    // Longer than the gateway's own 300 s idle bound of pass-through HTTP requests.
    expect(nginxTimeMs(directive(block, 'proxy_read_timeout')!)).toBeGreaterThan(300_000);
    expect(nginxTimeMs(directive(block, 'proxy_send_timeout')!)).toBeGreaterThan(300_000);
    // Every other request keeps the upstream keep-alive: no Upgrade passed on, an empty Connection.
    expect(directive(locationBlock(conf, '/'), 'proxy_set_header Connection')).toBe('""');
  });

  it("waits for an answer longer than any route's total_ms, so the gateway's own 504 comes first", () => {
    const read = directive(locationBlock(conf, '/'), 'proxy_read_timeout');
    expect(read, 'proxy_read_timeout').toBeDefined();
    const longest = Math.max(...Object.values(composeGatewayConfig().routes).map((r) => r.timeouts.total_ms));
    expect(nginxTimeMs(read!)).toBeGreaterThan(longest);
  });

  it('answers every error page it declares in OpenAI JSON, with the status, type and code the gateway uses', () => {
    expect([...pages.keys()]).toEqual(expect.arrayContaining([400, 404, 405, 413, 500, 502, 503, 504]));
    for (const [status, { location, block, body }] of pages) {
      expect(block, `location @${location}`).toContain('default_type application/json;');
      expect(block).toContain('add_header x-request-id $switchyard_request_id always;');
      expect(body, `@${location} returns ${status} with a body`).toBeDefined();
      const json = JSON.parse(body!) as { error: { code: ErrorCode; type: string } };
      expectSchema('ErrorResponse', json);
      expect(Object.keys(json.error)).toEqual(['message', 'type', 'param', 'code']);
      const entry = errorCatalogue[json.error.code];
      expect(entry, `${json.error.code} is in the gateway's error catalogue`).toBeDefined();
      expect(entry.status).toBe(status);
      expect(json.error.type).toBe(entry.type);
    }
  });
});

describe('nginx in front of a real gateway', () => {
  let gw: TestGateway;
  let nginx: RunningNginx;
  // A start failure (no nginx installed, say) fails every test here, rather than skipping them.
  let startFailure: Error | undefined;
  beforeAll(async () => {
    try {
      gw = await startTestGateway(demoConfig({ serverExtra: `body_limit: ${bodyLimit}` }));
      nginx = await startNginx({ upstreamPort: gw.port });
    } catch (err) {
      startFailure = err instanceof Error ? err : new Error(String(err));
    }
  });
  afterAll(async () => {
    await nginx?.stop();
    await gw?.close(500);
  });
  beforeEach(() => {
    if (startFailure) throw startFailure;
    for (const s of gw.simulators.values()) s.clearFaults();
  });

  const client = () => new OpenAI({ baseURL: `${nginx.url}/v1`, apiKey: 'anything', maxRetries: 0, timeout: 15_000 });

  it('streams a chat completion through, with usage and the gateway headers', async () => {
    const { data: stream, response } = await client()
      .chat.completions.create({
        model: 'chat',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Hello through nginx' }],
      })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-switchyard-route')).toBe('chat');
    let content = '';
    let chunks = 0;
    let finish: string | null | undefined;
    let usage: unknown;
    for await (const chunk of stream) {
      chunks += 1;
      content += chunk.choices[0]?.delta?.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      usage ??= chunk.usage ?? undefined;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(content.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number) });
  });

  // End to end: nginx's `proxy_buffering off` and the gateway's `x-accel-buffering: no` each turn
  // buffering off; compose.test.ts checks the directive itself.
  it('passes stream chunks on as they come (unbuffered): they arrive while the upstream is stalled', async () => {
    for (const name of ['gpu-a', 'gpu-b']) gw.sim(name).setFaults([{ type: 'stall', after_chunks: 3 }]);
    const abort = new AbortController();
    const res = await fetch(`${nginx.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'stall after three' }] }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const deadline = setTimeout(() => abort.abort(), 5_000);
    try {
      while ((text.match(/^data: \{/gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    } finally {
      clearTimeout(deadline);
      abort.abort();
    }
    expect((text.match(/^data: \{/gm) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain('[DONE]');
  });

  it("passes the gateway's own errors through untouched (an unknown model is the gateway's 404, not nginx's)", async () => {
    const res = await post(`${nginx.url}/v1/chat/completions`, Buffer.from('{"model":"nope","messages":[{"role":"user","content":"hi"}]}'));
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'model_not_found' } });
    expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("keeps the client's x-request-id end to end, and answers with one when the client sent none", async () => {
    const { response } = await client()
      .chat.completions.create(
        { model: 'chat', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-request-id': 'client-id-1' } },
      )
      .withResponse();
    expect(response.headers.get('x-request-id')).toBe('client-id-1');
    const res = await post(`${nginx.url}/v1/chat/completions`, Buffer.from('{"model":"chat","messages":[{"role":"user","content":"hi"}]}'));
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('lets a body of exactly the limit through: the gateway answers it', async () => {
    const res = await post(`${nginx.url}/v1/chat/completions`, chatBodyOfSize(bodyLimit));
    expect(res.status, res.body).toBe(200);
    expect(res.headers['x-switchyard-route']).toBe('chat');
  });

  it('answers a body one byte over the limit itself: 413 in OpenAI JSON, declared or chunked', async () => {
    for (const chunked of [false, true]) {
      const res = await post(`${nginx.url}/v1/chat/completions`, chatBodyOfSize(bodyLimit + 1), { chunked });
      const error = expectNginxError(res, 413, 'request_too_large');
      expect(error.message).toContain(`${bodyLimit} bytes`);
    }
  });

  it('answers its own 405 (TRACE) and 400 (a malformed request) in OpenAI JSON', async () => {
    const trace = await rawRequest(nginx.port, 'TRACE /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expectNginxError(trace, 405, 'method_not_allowed');
    const twoHosts = await rawRequest(nginx.port, 'GET /v1/models HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n');
    expectNginxError(twoHosts, 400, 'invalid_request');
  });
});

describe('nginx in front of a scripted gateway: echoing, down, or silent', () => {
  let nginx: RunningNginx | undefined;
  let silent: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    await nginx?.stop();
    nginx = undefined;
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    silent = undefined;
  });

  const chat = Buffer.from('{"model":"chat","messages":[{"role":"user","content":"hi"}]}');

  it("hands the gateway the client's x-request-id, or a req_<32 hex> of its own that the gateway keeps", async () => {
    const echo = createHttpServer((req, res) => res.end(JSON.stringify({ received: req.headers['x-request-id'] ?? null })));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      nginx = await startNginx({ upstreamPort: (echo.address() as { port: number }).port });
      const made = await post(`${nginx.url}/v1/chat/completions`, chat);
      expect(JSON.parse(made.body)).toEqual({ received: expect.stringMatching(/^req_[0-9a-f]{32}$/) });
      const given = await fetch(`${nginx.url}/v1/models`, { headers: { 'x-request-id': 'client-id-2' } });
      expect(await given.json()).toEqual({ received: 'client-id-2' });
    } finally {
      echo.closeAllConnections();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it('answers 502 in OpenAI JSON when no gateway listens', async () => {
    nginx = await startNginx({ upstreamPort: await freePort() });
    expectNginxError(await post(`${nginx.url}/v1/chat/completions`, chat), 502, 'upstream_error');
  });

  it('answers 504 in OpenAI JSON when the gateway accepts the request and never answers', async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.resume(); // reads the request, never writes
    });
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    // proxy_read_timeout is 330 s in the file; the render makes it 1 s here (and only here).
    nginx = await startNginx({ upstreamPort: (silent.address() as { port: number }).port, readTimeout: '1s' });
    const started = Date.now();
    expectNginxError(await post(`${nginx.url}/v1/chat/completions`, chat), 504, 'timeout');
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(sockets.size).toBeGreaterThan(0);
  });
});
