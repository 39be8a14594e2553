/**
 * `server.ops_port`: /metrics and /admin/* move to a listener of their own (loopback by default), the
 * public port serves only the API and /health/* (load balancers probe the port they send traffic to).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { demoConfig, startTestGateway, type TestGateway } from '../support/gateway.js';

const adminKey = 'adm-ops-0123456789';
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(demoConfig({ serverExtra: 'admin_key: ${ADMIN_KEY}\n  ops_port: 0' }), { ADMIN_KEY: adminKey });
});
afterAll(async () => {
  await gw?.close(1000);
});

const auth = { authorization: `Bearer ${adminKey}` };

describe('with server.ops_port', () => {
  it('binds the ops listener to 127.0.0.1 by default, on its own port', () => {
    expect(gw.ops).toBeDefined();
    expect(gw.ops!.bound).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(gw.ops!.port).not.toBe(gw.port);
  });

  it('the public port serves the API and health, and answers 404 for /metrics and /admin', async () => {
    const chat = await gw.client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0]!.message.content).toBeTruthy();
    expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${gw.url}/health/ready`)).status).toBe(200);
    for (const path of ['/metrics', '/admin/state', '/admin/simulators']) {
      const res = await fetch(`${gw.url}${path}`, { headers: auth });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
    }
    expect((await fetch(`${gw.url}/admin/deployments/llama@gpu/open`, { method: 'POST', headers: auth })).status).toBe(404);
  });

  it('the ops port serves health, metrics and the admin API (with its key), and no API', async () => {
    const ops = gw.ops!.url;
    expect((await fetch(`${ops}/health/live`)).status).toBe(200);
    expect((await fetch(`${ops}/health/ready`)).status).toBe(200);
    const metrics = await fetch(`${ops}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/switchyard_requests_total\{route="chat"/);
    expect((await fetch(`${ops}/admin/state`)).status).toBe(401);
    const state = await fetch(`${ops}/admin/state`, { headers: auth });
    expect(state.status).toBe(200);
    expect(((await state.json()) as { deployments: unknown[] }).deployments).toHaveLength(3);
    const api = await fetch(`${ops}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { message: string } }).error.message).toContain('operations listener');
    expect((await fetch(`${ops}/v1/models`)).status).toBe(404);
  });
});

describe('without server.ops_port', () => {
  it('serves everything on the one port', async () => {
    const one = await startTestGateway(demoConfig());
    try {
      expect(one.ops).toBeUndefined();
      expect((await fetch(`${one.url}/metrics`)).status).toBe(200);
    } finally {
      await one.close(500);
    }
  });
});

describe('config', () => {
  it('rejects an ops_port equal to the port, at its line', () => {
    const loaded = loadConfigText(demoConfig().replace('port: 0', 'port: 9000\n  ops_port: 9000'), 'ops.yaml', {});
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map(formatIssue).join('\n')).toMatch(/^ops\.yaml:5:\d+: server\.ops_port: ops_port must differ from port/m);
  });
});
