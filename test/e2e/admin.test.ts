/** The admin API: off without a key, Bearer-protected with one, live state, drill overrides, and the demo's simulators. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig, startTestGateway, type TestGateway } from '../support/gateway.js';

const adminKey = 'adm-0123456789abcdef';
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(demoConfig({ serverExtra: 'admin_key: ${ADMIN_KEY}' }), { ADMIN_KEY: adminKey });
});
afterAll(async () => {
  await gw?.close(1000);
});

const admin = (path: string, method = 'GET', key = adminKey) =>
  fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
const ask = () =>
  gw
    .client()
    .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })
    .withResponse();

describe('admin API', () => {
  it('does not exist when no admin key is configured', async () => {
    const open = await startTestGateway(demoConfig());
    try {
      expect((await fetch(`${open.url}/admin/state`)).status).toBe(404);
    } finally {
      await open.close(500);
    }
  });

  it('refuses a missing or wrong key, without echoing it', async () => {
    expect((await fetch(`${gw.url}/admin/state`)).status).toBe(401);
    const wrong = await admin('/admin/state', 'GET', 'adm-wrong-guess-000');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('adm-wrong-guess');
  });

  it('shows each deployment: breaker, in-flight, EWMA latency, error rate, last error', async () => {
    await ask();
    const state = (await (await admin('/admin/state')).json()) as { deployments: Array<Record<string, unknown>>; routes: unknown[] };
    const llama = state.deployments.find((d) => d.id === 'llama@gpu')!;
    expect(llama).toMatchObject({
      provider: 'gpu',
      available: true,
      breaker: { state: 'closed', forced: null },
      drained: false,
      in_flight: 0,
      error_rate: 0,
      last_error_kind: null,
    });
    expect(llama.latency_ewma_ms).toEqual(expect.any(Number));
    // The speed the adaptive per-try limit measures against, from the answer just served.
    expect(llama.answer_ms_per_token_eq).toEqual(expect.any(Number));
    expect(llama.output_tokens_ewma).toBeGreaterThan(0);
    expect(state.routes).toContainEqual({ name: 'chat', strategy: 'priority', targets: ['llama@gpu'], fallbacks: ['mini@cloud'] });
  });

  it('forces a breaker open (traffic moves), then restores it (traffic returns)', async () => {
    const opened = (await (await admin('/admin/deployments/llama@gpu/open', 'POST')).json()) as Record<string, unknown>;
    expect(opened).toMatchObject({ available: false, breaker: { forced: 'open' } });
    expect((await ask()).response.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    await admin('/admin/deployments/llama@gpu/restore', 'POST');
    expect((await ask()).response.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
  });

  it('keeps a forced state across a config reload (live state carries over)', async () => {
    await admin('/admin/deployments/llama@gpu/open', 'POST');
    gw.reload();
    expect((await ask()).response.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    await admin('/admin/deployments/llama@gpu/restore', 'POST');
    expect((await ask()).response.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
  });

  it('drains a deployment and answers 404 for unknown deployments or actions', async () => {
    expect((await (await admin('/admin/deployments/llama@gpu/drain', 'POST')).json()) as Record<string, unknown>).toMatchObject({
      drained: true,
      available: false,
    });
    expect((await ask()).response.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    await admin('/admin/deployments/llama@gpu/restore', 'POST');
    expect((await admin('/admin/deployments/nope/open', 'POST')).status).toBe(404);
    expect((await admin('/admin/deployments/llama@gpu/explode', 'POST')).status).toBe(404);
  });
});

describe("admin API: the config's in-process simulators (/admin/simulators)", () => {
  const sims = (path: string, method = 'GET', body?: string, key = adminKey) =>
    fetch(`${gw.url}/admin/simulators${path}`, { method, headers: { authorization: `Bearer ${key}` }, ...(body ? { body } : {}) });

  it('lists them with their URLs and fault endpoints', async () => {
    const list = (await (await sims('')).json()) as { simulators: Array<Record<string, string>> };
    expect(list.simulators.map((s) => s.name)).toEqual(['gpu-a', 'gpu-b', 'cloud', 'embed']);
    expect(list.simulators[2]).toMatchObject({
      kind: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      url: gw.sim('cloud').url,
      faults: '/admin/simulators/cloud/faults',
    });
  });

  it('faults a simulator (as curl -d sends it) so that traffic fails over, and reads and clears its faults and stats', async () => {
    const fault = '{"type": "error", "status": 503, "count": 2}';
    for (const name of ['gpu-a', 'gpu-b']) {
      const set = await fetch(`${gw.url}/admin/simulators/${name}/faults`, {
        method: 'POST',
        // curl -d without -H sends this content type; the simulator reads JSON whatever it says.
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: fault,
      });
      expect(set.status).toBe(200);
      expect(await set.json()).toEqual({ faults: [{ type: 'error', status: 503, count: 2 }] });
    }
    const { response } = await ask();
    expect(response.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    // Both attempts on the pool failed; which of its two servers took each is the pool's choice.
    let applied = 0;
    for (const name of ['gpu-a', 'gpu-b'])
      applied += ((await (await sims(`/${name}/stats`)).json()) as { faultsApplied: number }).faultsApplied;
    expect(applied).toBe(2);
    for (const name of ['gpu-a', 'gpu-b']) {
      expect(await (await sims(`/${name}/faults`, 'DELETE')).json()).toEqual({ faults: [] });
      expect(await (await sims(`/${name}/faults`)).json()).toEqual({ faults: [] });
    }
  });

  it("passes the simulator's own validation errors through", async () => {
    const bad = await sims('/cloud/faults', 'POST', '{"type": "explode"}');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/invalid fault/);
  });

  it('needs the admin key, and answers 404 for unknown simulators or endpoints and 405 for other methods', async () => {
    expect((await sims('/cloud/faults', 'POST', '{"type": "hang"}', 'adm-wrong-guess-000')).status).toBe(401);
    expect(await (await sims('/cloud/faults')).json()).toEqual({ faults: [] });
    const unknown = await sims('/nope/faults');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('simulator_not_found');
    expect((await sims('/cloud/explode')).status).toBe(404);
    expect((await sims('/cloud/requests', 'POST', '{}')).status).toBe(405);
  });
});
