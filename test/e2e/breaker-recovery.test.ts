/**
 * Recovery within seconds: a deployment whose breaker opened is probed on its health path (GET
 * /v1/models, never a completion); a passing probe lets one real trial through at once. A primary that
 * recovers serves again within the bound (10 s with default probe and reset settings) and
 * clients never see an error on the way; one that stays down while its health path answers gets probes,
 * but no more than one real trial per reset period (the simulator's counts by path prove it).
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const config = `
version: 1
simulators:
  main: { kind: vllm, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 3 }
  flaky: { kind: vllm, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 3 }
  spare: { kind: vllm, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 3 }
providers:
  main: { type: vllm, base_url: sim://main }
  flaky: { type: vllm, base_url: sim://flaky }
  spare: { type: vllm, base_url: sim://spare }
deployments:
  # Defaults (probe_interval_ms 2000, reset_ms 30000) but for the volume needed to open the breaker.
  main@sim: { provider: main, model: m, breaker: { min_requests: 4 } }
  flaky@sim: { provider: flaky, model: m, breaker: { min_requests: 4, reset_ms: 1000, probe_interval_ms: 50 } }
  spare@sim: { provider: spare, model: m }
routes:
  chat: { targets: [main@sim], fallbacks: [spare@sim] }
  quick: { targets: [flaky@sim], fallbacks: [spare@sim] }
`;

const gw = useTestGateway(config);

/** One request through a route; the SDK throws on any error, so every call is one the client saw succeed. */
async function ask(model: string): Promise<string | null> {
  const { response } = await gw
    .client()
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();
  return response.headers.get('x-switchyard-deployment');
}

function breakerState(id: string): string {
  return gw.deps.runtime.current.deployments.get(id)!.health.breaker.state(performance.now());
}

async function probeCount(id: string, result: string): Promise<number> {
  const metric = await gw.deps.metrics.breakerProbes.get();
  return metric.values.find((v) => v.labels.deployment === id && v.labels.result === result)?.value ?? 0;
}

describe('breaker recovery through probes', () => {
  it('a primary that fails moves traffic to the fallback, and serves again within 10 s once it recovers', async () => {
    // Down as a crashed server is: completions and the health path both fail.
    gw.sim('main').setFaults([
      { type: 'error', status: 500 },
      { type: 'error', status: 500, operation: 'models' },
    ]);
    for (let i = 0; i < 10 && breakerState('main@sim') !== 'open'; i += 1) expect(await ask('chat')).toBe('spare@sim');
    expect(breakerState('main@sim')).toBe('open');
    expect(await ask('chat')).toBe('spare@sim');
    await pollUntil(async () => (await probeCount('main@sim', 'fail')) > 0, 'a failed probe of the open breaker', { limitMs: 5_000 });
    expect(gw.sim('main').stats().byOperation.models).toBeGreaterThan(0);
    expect(await ask('chat')).toBe('spare@sim');

    gw.sim('main').clearFaults();
    // The bound: back in traffic within 10 s with the default probe interval and reset time.
    await pollUntil(async () => (await ask('chat')) === 'main@sim', 'the recovered primary to serve again', {
      limitMs: 10_000,
      everyMs: 100,
    });
    expect(breakerState('main@sim')).toBe('closed');
    expect(await probeCount('main@sim', 'pass')).toBe(1);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toContain('switchyard_breaker_probes_total{deployment="main@sim",result="pass"} 1');
  });

  it('a primary whose health path answers while completions fail gets probes, but one real trial per reset period', async () => {
    gw.sim('flaky').setFaults([{ type: 'error', status: 500 }]);
    for (let i = 0; i < 10 && breakerState('flaky@sim') !== 'open'; i += 1) expect(await ask('quick')).toBe('spare@sim');
    expect(breakerState('flaky@sim')).toBe('open');
    const openedAt = Date.now();
    const chatsBefore = gw.sim('flaky').stats().byOperation.chat;

    // Steady traffic over a few reset periods (reset_ms 1000, a probe every 50 ms): every answer succeeds.
    while (Date.now() - openedAt < 3_500) {
      expect(await ask('quick')).toBe('spare@sim');
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = Date.now() - openedAt;
    const { chat, models } = gw.sim('flaky').stats().byOperation;
    const trials = chat - chatsBefore;
    expect(trials).toBeGreaterThanOrEqual(1);
    expect(trials).toBeLessThanOrEqual(Math.floor(elapsed / 1000) + 1);
    expect(models).toBeGreaterThan(trials);
    expect(await probeCount('flaky@sim', 'pass')).toBeGreaterThan(0);
  });

  it('a reload stops probes of the deployments it removes', async () => {
    gw.sim('flaky').setFaults([{ type: 'error', status: 500 }]);
    for (let i = 0; i < 10 && breakerState('flaky@sim') !== 'open'; i += 1) await ask('quick');
    expect(gw.deps.runtime.current.breakerProbes.probing()).toEqual(['flaky@sim']);
    const current = gw.deps.runtime.current.config;
    const { ['flaky@sim']: _removed, ...deployments } = current.deployments;
    const { quick: _quick, ...routes } = current.routes;
    gw.reload({ ...current, deployments, routes });
    gw.sim('flaky').resetStats();
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.sim('flaky').stats().byOperation.models).toBe(0);
    expect(gw.deps.runtime.current.breakerProbes.probing()).toEqual([]);
  });
});
