/** Active health checks: a pool server that goes down stops getting traffic before any request fails on it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const config = `
version: 1
simulators:
  a: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 0 }
  b: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 0 }
providers:
  pool:
    type: vllm
    endpoints: [sim://a, sim://b]
    health_check: { interval_ms: 50, timeout_ms: 500 }
deployments:
  llama@pool: { provider: pool, model: llama }
routes:
  chat: { targets: [llama@pool] }
`;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(config);
});
afterAll(async () => {
  await gw?.close(1000);
});

describe('active health checks', () => {
  it('probe the health path, take a dead server out of the pool, and never fail a request on it', async () => {
    const pool = gw.deps.runtime.current.providers.get('pool')!.pool;
    await pollUntil(
      () =>
        gw
          .sim('a')
          .recentRequests()
          .some((r) => r.method === 'GET' && r.path === '/v1/models'),
      'a health probe',
    );
    expect(pool.endpoints.every((e) => e.healthy)).toBe(true);

    await gw.sim('b').close();
    const b = pool.endpoints.find((e) => e.url === gw.sim('b').url)!;
    await pollUntil(() => !b.healthy, 'the closed server to fail its health check');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain(`switchyard_endpoint_healthy{provider="pool",endpoint="${b.url}"} 0`);

    for (let i = 0; i < 20; i += 1) {
      const { response } = await gw
        .client()
        .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: `hi ${i}` }] })
        .withResponse();
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    }
    const attempts = await gw.deps.metrics.attempts.get();
    expect(attempts.values.filter((v) => v.labels.outcome !== 'success')).toEqual([]);
  });
});
