/** Health, readiness, metrics and graceful shutdown of a real gateway. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig, readSse, startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(demoConfig());
});
afterAll(async () => {
  await gw?.close(1000);
});

describe('health', () => {
  it('is live and ready', async () => {
    const live = await fetch(`${gw.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${gw.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', routes: 3, deployments: 3 });
  });
});

describe('metrics', () => {
  it('counts requests, duration, time to first token, attempts, tokens and cost by route and deployment', async () => {
    const client = gw.client();
    await client.chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: 'count me' }] });
    const stream = await client.chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: 'count me' }], stream: true });
    for await (const _ of stream) {
      /* consume */
    }
    await client.chat.completions.create({ model: 'unknown-model', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/switchyard_requests_total\{route="mini",operation="chat",deployment="mini@cloud",status_class="2xx"\} 2/);
    expect(text).toMatch(/switchyard_requests_total\{route="none",operation="chat",deployment="none",status_class="4xx"\} 1/);
    expect(text).toMatch(
      /switchyard_request_duration_seconds_count\{route="mini",operation="chat",deployment="mini@cloud",status_class="2xx",stream="true"\} 1/,
    );
    expect(text).toMatch(/switchyard_time_to_first_token_seconds_count\{route="mini",deployment="mini@cloud"\} 1/);
    expect(text).toMatch(/switchyard_upstream_attempts_total\{route="mini",deployment="mini@cloud",provider="cloud",outcome="success"\} 2/);
    expect(text).toMatch(/switchyard_tokens_total\{route="mini",deployment="mini@cloud",type="output"\} \d+/);
    expect(text).toMatch(/switchyard_cost_usd_total\{route="mini",deployment="mini@cloud"\} [0-9.e-]+/);
    expect(text).toMatch(/switchyard_in_flight_requests\{route="mini"\} 0/);
    expect(text).toMatch(/switchyard_build_info\{version="\d+\.\d+\.\d+"\} 1/);
    // Usage is counted even though the streaming client did not ask for it.
    const outputTokens = Number(/switchyard_tokens_total\{route="mini",deployment="mini@cloud",type="output"\} (\d+)/.exec(text)![1]);
    expect(outputTokens).toBe(24);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight stream finish, refuses new work, then closes', async () => {
    const own = await startTestGateway(
      demoConfig()
        .replace('output_tokens: 12, api_key', 'output_tokens: 40, api_key')
        .replace(/tpot_ms: 1, output_tokens: 40/, 'tpot_ms: 10, output_tokens: 40'),
    );
    const res = await fetch(`${own.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'long one' }], stream: true }),
    });
    const reading = readSse(res);
    const closing = own.close(5000);
    expect(own.deps.state.shuttingDown).toBe(true);
    const events = await reading;
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.length).toBeGreaterThan(40);
    await closing;
    await expect(fetch(`${own.baseURL}/models`)).rejects.toThrow();
  });
});
