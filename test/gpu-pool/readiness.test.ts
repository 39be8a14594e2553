/**
 * Readiness against real servers: the vllm simulator (ready; or serving another model: not ready),
 * a server answering 503 on /health as llama.cpp does while loading, and a closed port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadiness, listedModels, serverPaths } from '../../gpu-pool/readiness.js';
import { createTransport, type Transport } from '../../upstream/transport.js';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { startFakeServer, type FakeServer } from './fake-server.js';

let sim: RunningSimulator;
let loading: FakeServer;
const transports: Transport[] = [];

function control(baseUrl: string): Transport {
  const t = createTransport(new URL(baseUrl).origin, { connectTimeoutMs: 1000 });
  transports.push(t);
  return t;
}

beforeAll(async () => {
  sim = await startSimulator({ kind: 'vllm', model: 'llama' });
  loading = await startFakeServer({
    health: { status: 503, body: '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}' },
  });
});
afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await sim.close();
  await loading.close();
});

describe('server paths', () => {
  it('put health at the server root and the model list under the base URL', () => {
    expect(serverPaths('http://h:8000/v1')).toEqual({ origin: 'http://h:8000', root: '', api: '/v1' });
    expect(serverPaths('http://h/llama/v1/')).toEqual({ origin: 'http://h', root: '/llama', api: '/llama/v1' });
    expect(serverPaths('http://h:8080')).toEqual({ origin: 'http://h:8080', root: '', api: '' });
  });

  it('read model ids from data[].id', () => {
    expect(listedModels('{"data":[{"id":"a"},{"id":"b"},{"x":1}]}')).toEqual(['a', 'b']);
    expect(listedModels('{"models":[]}')).toBeUndefined();
    expect(listedModels('nope')).toBeUndefined();
  });
});

describe('readiness', () => {
  it('passes when /health is 2xx and every model is listed', async () => {
    expect(await checkReadiness(control(sim.url), sim.url, { models: ['llama'], timeoutMs: 2000 })).toEqual({ ready: true });
    const paths = sim.recentRequests().map((r) => r.path);
    expect(paths).toContain('/health');
    expect(paths).toContain('/v1/models');
  });

  it('fails when a model is not listed', async () => {
    const r = await checkReadiness(control(sim.url), sim.url, { models: ['llama', 'mistral'], timeoutMs: 2000 });
    expect(r).toEqual({ ready: false, reason: 'model not listed: mistral', refused: false });
  });

  it('fails while /health answers 503 (loading), with the server’s message', async () => {
    const r = await checkReadiness(control(loading.url), loading.url, { models: ['llama'], timeoutMs: 2000 });
    expect(r).toEqual({ ready: false, reason: 'health 503: Loading model', refused: false });
  });

  it('fails on a refused connection, saying so', async () => {
    const gone = await startFakeServer();
    await gone.close();
    const r = await checkReadiness(control(gone.url), gone.url, { models: ['llama'], timeoutMs: 2000 });
    expect(r.ready).toBe(false);
    if (!r.ready) {
      expect(r.refused).toBe(true);
      expect(r.reason).toBe('connection refused');
    }
  });

  it('sends the static headers and the authorize step’s credentials', async () => {
    const server = await startFakeServer();
    try {
      const r = await checkReadiness(control(server.url), server.url, {
        models: ['llama'],
        timeoutMs: 2000,
        headers: { 'x-team': 'search' },
        authorize: (req) => ({ ...req, headers: { ...req.headers, authorization: 'Bearer k' } }),
      });
      expect(r).toEqual({ ready: true });
      expect(server.seen.map((s) => s.url)).toEqual(['/health', '/v1/models']);
      for (const s of server.seen) {
        expect(s.headers['x-team']).toBe('search');
        expect(s.headers.authorization).toBe('Bearer k');
      }
    } finally {
      await server.close();
    }
  });
});
