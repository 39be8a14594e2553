/** Planning: strategy order over available targets, fallbacks after, unusable ones out, ejected ones last. */
import { describe, expect, it } from 'vitest';
import { loadConfigText, formatIssue } from '../../../config/loader.js';
import { buildRuntime } from '../../../gateway/runtime/build.js';
import { planCandidates } from '../../../gateway/routing/plan.js';
import { seededRandom } from '../../support/seeded-random.js';

const text = `version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
  cheap: { provider: p, model: m, price: { input_per_mtok: 0.1, output_per_mtok: 0.1 }, allow_floating: true }
  mid: { provider: p, model: m, price: { input_per_mtok: 1, output_per_mtok: 1 }, allow_floating: true }
  dear: { provider: p, model: m, price: { input_per_mtok: 9, output_per_mtok: 9 }, allow_floating: true }
  backup: { provider: p, model: m, allow_floating: true }
  embed: { provider: p, model: e, operations: [embeddings], allow_floating: true }
routes:
  r: { strategy: cost, targets: [dear, mid, cheap], fallbacks: [backup, embed] }
`;

function setup() {
  const loaded = loadConfigText(text, 'plan.yaml', {});
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  const rt = buildRuntime(loaded.config);
  const route = rt.routes.get('r')!;
  const plan = (now = 0) =>
    planCandidates(route, 'chat', { inputTokens: 100, outputTokens: 100, stream: false }, now, seededRandom(1)).map((d) => d.id);
  return { rt, plan, dep: (id: string) => rt.deployments.get(id)!.health };
}

describe('planCandidates', () => {
  it('orders targets by the strategy, then fallbacks that serve the operation', () => {
    expect(setup().plan()).toEqual(['cheap', 'mid', 'dear', 'backup']);
  });

  it('leaves out open breakers, cooldowns and drained deployments', () => {
    const { plan, dep } = setup();
    dep('cheap').breaker.forced = 'open';
    dep('mid').coolDown(0, 1000);
    dep('backup').drained = true;
    expect(plan(10)).toEqual(['dear']);
    expect(plan(1000)).toEqual(['mid', 'dear']);
  });

  it('puts ejected deployments last, as a last resort', () => {
    const { plan, dep } = setup();
    dep('cheap').ejectedUntil = 5000;
    dep('backup').ejectedUntil = 5000;
    expect(plan(10)).toEqual(['mid', 'dear', 'cheap', 'backup']);
    expect(plan(5000)).toEqual(['cheap', 'mid', 'dear', 'backup']);
  });
});
