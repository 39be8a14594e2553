/**
 * A reload builds a new Runtime; live health state carries over for deployments whose identity (where
 * they send requests, and the health settings) did not change, and round-robin position for routes
 * whose strategy did not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildRuntime } from '../../gateway/runtime/build.js';
import type { Runtime } from '../../gateway/runtime/runtime.js';
import { loadConfigText } from '../../config/loader.js';
import type { Config } from '../../config/schema.js';

function config(extra: { aModel?: string; aPrice?: number; aBreaker?: string; strategy?: string } = {}): Config {
  const loaded = loadConfigText(
    `
version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
  a: { provider: p, model: ${extra.aModel ?? 'm1'}, allow_floating: true, price: { input_per_mtok: ${extra.aPrice ?? 1}, output_per_mtok: 1 }${extra.aBreaker ? `, breaker: ${extra.aBreaker}` : ''} }
  b: { provider: p, model: m2, allow_floating: true }
routes:
  r: { strategy: ${extra.strategy ?? 'weighted'}, targets: [a, b] }
`,
    'reload.yaml',
    {},
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

const built: Runtime[] = [];
const build = (c: Config, previous?: Runtime) => {
  const rt = buildRuntime(c, previous ? { previous } : {});
  built.push(rt);
  return rt;
};
afterEach(async () => {
  await Promise.all(built.splice(0).map((rt) => rt.close()));
});

describe('runtime reload', () => {
  it('carries breaker, ejection, cooldown and stats over for an unchanged deployment, even with a new price', () => {
    const before = build(config());
    const health = before.deployments.get('a')!.health;
    health.breaker.forced = 'open';
    health.coolDown(performance.now(), 60_000);
    health.stats.inFlight = 3;
    const after = build(config({ aPrice: 5 }), before);
    expect(after.deployments.get('a')!.health).toBe(health);
    expect(after.deployments.get('a')!.health.available(performance.now())).toBe(false);
    expect(after.deployments.get('a')!.health.stats.inFlight).toBe(3);
    expect(after.deployments.get('a')!.price.inputPerMTok).toBe(5);
  });

  it('starts fresh for a deployment whose model or breaker settings changed, and without a previous runtime', () => {
    const before = build(config());
    before.deployments.get('a')!.health.breaker.forced = 'open';
    expect(
      build(config({ aModel: 'm9' }), before)
        .deployments.get('a')!
        .health.available(performance.now()),
    ).toBe(true);
    expect(
      build(config({ aBreaker: '{ error_percent: 20 }' }), before)
        .deployments.get('a')!
        .health.available(performance.now()),
    ).toBe(true);
    expect(build(config()).deployments.get('a')!.health.available(performance.now())).toBe(true);
    // The unchanged deployment next to it keeps its own state object.
    expect(build(config({ aModel: 'm9' }), before).deployments.get('b')!.health).toBe(before.deployments.get('b')!.health);
  });

  it("keeps a weighted route's round-robin position unless its strategy changed", () => {
    const before = build(config());
    before.routes.get('r')!.strategyState.set('a', 2);
    expect(build(config(), before).routes.get('r')!.strategyState.get('a')).toBe(2);
    expect(build(config({ strategy: 'priority' }), before).routes.get('r')!.strategyState.size).toBe(0);
  });
});
