/**
 * Active health probes carry the credentials a request would (the provider's static headers, then the
 * adapter's authorize step): a server behind a key must not look down because its probe had none.
 * Against a local node:http server that answers 401 without the key, as vLLM --api-key does.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../upstream/health-checks.js';
import { createEndpointPool } from '../../upstream/endpoint-pool.js';
import { buildProviders } from '../../gateway/runtime/providers.js';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { pollUntil } from '../support/poll.js';

const key = 'sk-pool-key-12345678';
let server: Server;
let baseUrl: string;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.statusCode = req.headers.authorization === `Bearer ${key}` ? 200 : 401;
    res.end('{"object":"list","data":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('active health probes', () => {
  it("are sent with the static headers and the adapter's credentials, and pass behind a key", async () => {
    const text = `version: 1
providers:
  pool:
    type: vllm
    endpoints: ["${baseUrl}"]
    api_key: "${key}"
    headers: { X-Team: search }
    health_check: { interval_ms: 60000, timeout_ms: 1000 }
deployments:
  llama@pool: { provider: pool, model: llama }
routes:
  chat: { targets: [llama@pool] }
`;
    const loaded = loadConfigText(text, 'sw.yaml', {});
    if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
    const changes: boolean[] = [];
    const { providers, stopChecks } = buildProviders(loaded.config, { onEndpointHealth: (_id, _e, up) => changes.push(up) });
    try {
      await pollUntil(() => seen.some((r) => r.url === '/v1/models'), 'a health probe');
      const sent = seen.find((r) => r.url === '/v1/models')!;
      expect(sent.method).toBe('GET');
      expect(sent.headers.authorization).toBe(`Bearer ${key}`);
      expect(sent.headers['x-team']).toBe('search');
      expect(sent.headers.accept).toBe('application/json');
      await new Promise((r) => setTimeout(r, 20));
      expect(providers.get('pool')!.pool.endpoints[0]!.healthy).toBe(true);
      expect(changes).toEqual([]);
    } finally {
      for (const stop of stopChecks) stop();
      await Promise.all([...providers.values()].map((p) => p.pool.close()));
    }
  });

  it('fail when the upstream refuses them, and when authorizing throws', async () => {
    const pool = createEndpointPool([baseUrl], { connections: 1, connectTimeoutMs: 1000 });
    try {
      const endpoint = pool.endpoints[0]!;
      const options = { path: '/models', intervalMs: 60_000, timeoutMs: 1000 };
      expect(await probe(endpoint, options)).toBe(false);
      expect(
        await probe(endpoint, {
          ...options,
          authorize: async (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${key}` } }),
        }),
      ).toBe(true);
      expect(
        await probe(endpoint, {
          ...options,
          authorize: () => {
            throw new Error('no credentials');
          },
        }),
      ).toBe(false);
    } finally {
      await pool.close();
    }
  });
});
