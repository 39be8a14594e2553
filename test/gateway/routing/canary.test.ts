/** Canary assignment: share, stickiness, subjects, forcing, as a property over many subjects. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignVariant, bucketOf } from '../../../gateway/routing/canary.js';
import type { ClientKey } from '../../../gateway/access/keys.js';
import { useRuntimes } from '../../support/runner.js';
import { seededRandom } from '../../support/seeded-random.js';

const runtime = useRuntimes();
const config = (sticky: string, percent = 5, salt = '') => `
version: 1
server: { admin_key: adm-0123456789abcdef }
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9" }
deployments:
  stable: { provider: p, model: m-2024-01-01 }
  next: { provider: p, model: m-2025-01-01 }
routes:
  chat:
    targets: [stable]
    canary: { targets: [next], percent: ${percent}, sticky: "${sticky}", salt: "${salt}" }
`;
const routeOf = (sticky: string, percent?: number, salt?: string) => runtime(config(sticky, percent, salt)).routes.get('chat')!;
const key = (name: string): ClientKey => ({ name, routes: null, limits: undefined });
const never = () => {
  throw new Error('a sticky request must not draw');
};

describe('canary assignment', () => {
  it('sends 5 % of 20 000 subjects to the canary, within ±0.5 points', () => {
    const route = routeOf('user');
    let canary = 0;
    for (let i = 0; i < 20_000; i += 1)
      if (assignVariant(route, { user: `user-${i}` }, undefined, {}, undefined, never) === 'canary') canary += 1;
    expect(Math.abs(canary / 20_000 - 0.05)).toBeLessThanOrEqual(0.005);
  });

  it('keeps every subject on one variant, whatever else the request says (property)', () => {
    const route = routeOf('user', 30);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (user, a, b) => {
        const first = assignVariant(route, { user, messages: a }, key('k1'), {}, undefined, never);
        const again = assignVariant(route, { user, messages: b }, key('k2'), {}, undefined, never);
        return first === again;
      }),
    );
  });

  it('is the same on every replica: a pure hash of route, salt and subject; a new salt reshuffles', () => {
    expect(bucketOf('chat', 'u:alice', '')).toBe(bucketOf('chat', 'u:alice', ''));
    const moved = Array.from({ length: 1000 }, (_, i) => bucketOf('chat', `u:${i}`, '') !== bucketOf('chat', `u:${i}`, 'v2')).filter(
      Boolean,
    );
    expect(moved.length).toBeGreaterThan(900);
  });

  it('sticks on the key, a header, or the user falling back to the key; draws at random with nothing to stick to', () => {
    const byKey = routeOf('key', 50);
    const variants = new Set(
      Array.from({ length: 20 }, (_, i) => assignVariant(byKey, { user: `u${i}` }, key('team'), {}, undefined, never)),
    );
    expect(variants.size).toBe(1);
    const byHeader = routeOf('header:x-session-id', 50);
    const a = assignVariant(byHeader, {}, undefined, { 'x-session-id': 's-1' }, undefined, never);
    expect(assignVariant(byHeader, { user: 'other' }, key('x'), { 'x-session-id': 's-1' }, undefined, never)).toBe(a);
    const byUser = routeOf('user', 50);
    expect(assignVariant(byUser, {}, key('team'), {}, undefined, never)).toBe(assignVariant(byKey, {}, key('team'), {}, undefined, never));
    const random = seededRandom(3);
    const drawn = new Set(
      Array.from({ length: 50 }, () => assignVariant(routeOf('none', 50), { user: 'same' }, undefined, {}, undefined, random)),
    );
    expect(drawn).toEqual(new Set(['stable', 'canary']));
  });

  it('lets an operator force a variant with the admin key, and ignores the header without it', () => {
    const route = routeOf('user', 0);
    const admin = 'adm-0123456789abcdef';
    const forced = { 'x-switchyard-variant': 'canary', 'x-switchyard-admin-key': admin };
    expect(assignVariant(route, { user: 'u' }, undefined, forced, admin, never)).toBe('canary');
    expect(assignVariant(route, { user: 'u' }, undefined, { ...forced, 'x-switchyard-admin-key': 'wrong' }, admin, never)).toBe('stable');
    expect(assignVariant(route, { user: 'u' }, undefined, { 'x-switchyard-variant': 'canary' }, admin, never)).toBe('stable');
  });

  it('plans the canary variant as canary targets, then the stable targets and the fallbacks', () => {
    const route = routeOf('user');
    expect(route.canary!.view.targets.map((d) => d.id)).toEqual(['next']);
    expect(route.canary!.view.fallbacks.map((d) => d.id)).toEqual(['stable']);
    expect(route.canary!.control.buckets).toBe(500);
  });
});
