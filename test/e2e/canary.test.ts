/**
 * A canary end to end, with the openai SDK: a sticky share of users reaches the canary deployment, the
 * answer says which variant served it, and a failing canary costs its users nothing (their requests fall
 * back to the stable targets).
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../support/gateway.js';

const adminKey = 'adm-canary-0123456789';
const config = `
version: 1
server: { admin_key: ${adminKey} }
simulators:
  stable: { kind: openai, model: m-2024-08-06, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  next: { kind: openai, model: m-2025-01-01, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
providers:
  stable: { type: openai, base_url: sim://stable }
  next: { type: openai, base_url: sim://next }
deployments:
  stable: { provider: stable, model: m-2024-08-06 }
  next: { provider: next, model: m-2025-01-01 }
routes:
  chat:
    targets: [stable]
    canary: { targets: [next], percent: 20, sticky: user }
`;

const gw = useTestGateway(config);
const ask = (user: string, headers: Record<string, string> = {}) =>
  gw
    .client()
    .chat.completions.create({ model: 'chat', user, messages: [{ role: 'user', content: 'hi' }] }, { headers })
    .withResponse();

describe('canary', () => {
  it('sends a sticky share of users to the canary and says which variant answered', async () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 100; i += 1) {
      const { data, response } = await ask(`user-${i}`);
      const variant = response.headers.get('x-switchyard-variant')!;
      seen.set(`user-${i}`, variant);
      expect(data.model).toBe(variant === 'canary' ? 'm-2025-01-01' : 'm-2024-08-06');
    }
    const canary = [...seen.values()].filter((v) => v === 'canary').length;
    expect(canary).toBeGreaterThan(5);
    expect(canary).toBeLessThan(40);
    // The same users again: the same variants.
    for (const [user, variant] of [...seen].slice(0, 20))
      expect((await ask(user)).response.headers.get('x-switchyard-variant')).toBe(variant);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain(
      `switchyard_canary_requests_total{route="chat",variant="canary"} ${canary + [...seen.values()].slice(0, 20).filter((v) => v === 'canary').length}`,
    );
  });

  it('falls a failing canary back to the stable target: its users get answers', async () => {
    gw.sim('next').setFaults([{ type: 'error', status: 500 }]);
    const forced = { 'x-switchyard-variant': 'canary', 'x-switchyard-admin-key': adminKey };
    const { data, response } = await ask('anyone', forced);
    expect(response.headers.get('x-switchyard-variant')).toBe('canary');
    expect(response.headers.get('x-switchyard-deployment')).toBe('stable');
    expect(response.headers.get('x-switchyard-failed')).toMatch(/^next:server/);
    expect(data.choices[0]!.message.content).toBeTruthy();
  });
});
