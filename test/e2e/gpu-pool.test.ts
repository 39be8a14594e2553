/**
 * A GPU pool routed on its servers' own metrics, end to end with the official SDK: two vLLM engine
 * simulators scraped by the gateway, prefix affinity keeping a shared prompt on one server, and a
 * saturated pool spilling to the cloud in the same decision (no failed attempt), said in the headers,
 * the metrics, /admin/state and the request log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const config = (route: string) => `
version: 1
server: { admin_key: adm }
simulators:
  a: { kind: vllm, model: llama, engine: llama-3.1-8b-h100, max_concurrency: 2, output_tokens: 48 }
  b: { kind: vllm, model: llama, engine: llama-3.1-8b-h100, max_concurrency: 2, output_tokens: 48 }
  cloud: { kind: openai, model: gpt-4o-mini-2024-07-18, ttft_ms: 5, tpot_ms: 1 }
providers:
  pool:
    type: vllm
    endpoints: [sim://a, sim://b]
    pool: { full_when: { queue: 1 }, scrape: { interval_ms: 250 } }
  cloud: { type: openai, base_url: sim://cloud }
deployments:
  llama@pool: { provider: pool, model: llama }
  mini@cloud: { provider: cloud, model: gpt-4o-mini-2024-07-18 }
routes:
${route}
`;

const sharedContext = 'Our company handbook, section by section, which every question below is about. '.repeat(60);

function chatsAt(gw: TestGateway, sim: string): number {
  return gw
    .sim(sim)
    .recentRequests()
    .filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions').length;
}

async function poolReady(gw: TestGateway): Promise<void> {
  const pool = gw.deps.runtime.current.providers.get('pool')!.gpuPool!;
  await pollUntil(() => pool.state().every((m) => m.ready && m.scrapedAgeMs !== undefined), 'both pool servers ready and scraped');
}

/** A gateway on `config(route)` for the describe block, once its pool's servers are ready and scraped. */
function usePoolGateway(route: string): TestGateway {
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    gw = await startTestGateway(config(route));
    await poolReady(gw);
  });
  afterAll(async () => {
    await gw?.close(1000);
  });
  // The tests run after beforeAll: every property read then reaches the started gateway.
  return new Proxy({} as TestGateway, {
    get(_target, key) {
      const value: unknown = Reflect.get(gw!, key, gw);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(gw) : value;
    },
  });
}

describe('a GPU pool with a cloud to spill to', () => {
  const gw = usePoolGateway('  chat: { targets: [llama@pool], fallbacks: [mini@cloud] }');

  it('keeps requests that share a long prefix on the server that holds it', async () => {
    const client = gw.client();
    for (let i = 0; i < 6; i += 1) {
      const { response } = await client.chat.completions
        .create({
          model: 'chat',
          max_tokens: 4,
          messages: [
            { role: 'system', content: sharedContext },
            { role: 'user', content: `question ${i}` },
          ],
        })
        .withResponse();
      expect(response.headers.get('x-switchyard-deployment')).toBe('llama@pool');
    }
    const counts = [chatsAt(gw, 'a'), chatsAt(gw, 'b')].sort((x, y) => x - y);
    expect(counts).toEqual([0, 6]);
    // The server saw its own prefix cache hit: the engine's counters, scraped by the gateway.
    const state = (await (await fetch(`${gw.url}/admin/state`, { headers: { authorization: 'Bearer adm' } })).json()) as {
      pools: Array<{
        provider: string;
        endpoints: Array<{ indexed_prefix_blocks: number; ready: boolean; scraped_age_ms: number | null }>;
      }>;
    };
    const pool = state.pools.find((p) => p.provider === 'pool')!;
    expect(pool.endpoints).toHaveLength(2);
    expect(pool.endpoints.every((e) => e.ready && e.scraped_age_ms !== null)).toBe(true);
    expect(pool.endpoints.map((e) => e.indexed_prefix_blocks).sort((x, y) => x - y)[0]).toBe(0);
    expect(Math.max(...pool.endpoints.map((e) => e.indexed_prefix_blocks))).toBeGreaterThan(0);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const hits = [...metrics.matchAll(/^switchyard_pool_endpoint_ready\{provider="pool",endpoint="[^"]+"\} 1$/gm)];
    expect(hits).toHaveLength(2);
  });

  it('spills a burst past the pool to the cloud in the same decision, and says so', async () => {
    const client = gw.client();
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        client.chat.completions
          .create({ model: 'chat', max_tokens: 32, messages: [{ role: 'user', content: `burst ${i} ${'x'.repeat(200)}` }] })
          .withResponse(),
      ),
    );
    const spilled = answers.filter((a) => a.response.headers.get('x-switchyard-spilled') !== null);
    expect(spilled.length).toBeGreaterThan(0);
    for (const a of spilled) {
      expect(a.response.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
      expect(a.response.headers.get('x-switchyard-spilled')).toMatch(/^llama@pool:(queue|kv_cache)$/);
      // In the same decision: the pool was never tried, so nothing failed and one attempt answered.
      expect(a.response.headers.get('x-switchyard-attempts')).toBe('1');
      expect(a.response.headers.get('x-switchyard-failed')).toBeNull();
    }
    expect(answers.filter((a) => a.response.headers.get('x-switchyard-deployment') === 'llama@pool').length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('switchyard_pool_spills_total{route="chat",deployment="llama@pool",reason="queue"}'));
    expect(Number(line?.split(' ')[1])).toBe(spilled.length);
  });
});

describe('a GPU pool across a config reload', () => {
  const gw = usePoolGateway('  chat: { targets: [llama@pool], fallbacks: [mini@cloud] }');

  it('is carried over while its provider is unchanged: its members stay ready, nothing spills', async () => {
    const before = gw.deps.runtime.current.providers.get('pool')!.gpuPool!;
    gw.reload();
    const after = gw.deps.runtime.current.providers.get('pool')!.gpuPool!;
    expect(after).toBe(before);
    expect(after.anyHealthy).toBe(true);
    const { response } = await gw
      .client()
      .chat.completions.create({ model: 'chat', max_tokens: 4, messages: [{ role: 'user', content: 'after the reload' }] })
      .withResponse();
    expect(response.headers.get('x-switchyard-deployment')).toBe('llama@pool');
    expect(response.headers.get('x-switchyard-spilled')).toBeNull();
    // The old Runtime is closed once drained; the pool it handed over goes on being scraped.
    const scrapedAt = Math.max(...after.endpoints.map((e) => e.scrapedAt));
    await pollUntil(() => Math.max(...after.endpoints.map((e) => e.scrapedAt)) > scrapedAt + 300, 'a scrape well after the reload');
  });
});

describe('a GPU pool with nowhere to spill', () => {
  const gw = usePoolGateway('  chat: { targets: [llama@pool] }');

  it('queues a burst at its servers rather than refusing it', async () => {
    const client = gw.client();
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        client.chat.completions
          .create({ model: 'chat', max_tokens: 16, messages: [{ role: 'user', content: `burst ${i}` }] })
          .withResponse(),
      ),
    );
    for (const a of answers) {
      expect(a.response.headers.get('x-switchyard-deployment')).toBe('llama@pool');
      expect(a.response.headers.get('x-switchyard-spilled')).toBeNull();
      expect(a.data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    }
    expect(chatsAt(gw, 'a') + chatsAt(gw, 'b')).toBe(16);
  });
});
