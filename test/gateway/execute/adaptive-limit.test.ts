/** The adaptive per-try limit's decision, from a real Runtime's deployments and their measured speed. */
import { describe, expect, it } from 'vitest';
import type { ClientRequest } from '../../../adapters/types.js';
import { adaptiveVerdict, promptWork, type AdaptiveTry } from '../../../gateway/execute/adaptive-limit.js';
import { SlowTry } from '../../../gateway/execute/abort-reasons.js';
import { useRuntimes } from '../../support/runner.js';

const yaml = `
version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9" }
deployments:
  a: { provider: p, model: m, allow_floating: true }
  b: { provider: p, model: m, allow_floating: true }
  c: { provider: p, model: m, allow_floating: true }
routes:
  r:
    targets: [a, b]
    fallbacks: [c]
  off:
    targets: [a]
    fallbacks: [b]
    timeouts: { adaptive: false }
`;

const runtime = useRuntimes();
const policy = { factor: 4, floorMs: 5_000 };

function request(body: Record<string, unknown>): ClientRequest {
  const full = { model: 'r', messages: [{ role: 'user', content: 'hi' }], ...body };
  return { operation: 'chat', body: full, raw: Buffer.from(JSON.stringify(full)), stream: false, includeUsage: false };
}

function setup(body: Record<string, unknown> = {}) {
  const route = runtime(yaml).routes.get('r')!;
  const [a, b] = route.targets;
  const c = route.fallbacks[0]!;
  const req = request(body);
  const t: Omit<AdaptiveTry, 'control'> = { deployment: a!, route, req, alternatives: [b!, c], startedAt: 0, until: 'answer' };
  return { route, a: a!, b: b!, c, req, t };
}

describe('adaptive per-try limit', () => {
  it('cuts nothing while nothing on the route has been measured: it looks again after another floor', () => {
    const { t } = setup();
    expect(adaptiveVerdict(t, policy, 5_000)).toBe(10_000);
    expect(adaptiveVerdict(t, policy, 60_000)).toBe(65_000);
  });

  it("ends a try past factor x the deployment's own speed x the request's work, never under the floor", () => {
    const { a, req, t } = setup({ max_tokens: 1000 });
    // 10 ms per unit of work: 1000 output tokens + the prompt's work -> a limit of 4 x 10 x work.
    a.health.stats.observeSpeed(0, 10 * 100, 100, false, 50);
    const limit = 4 * 10 * (1000 + promptWork(req));
    expect(adaptiveVerdict(t, policy, 5_000)).toBeCloseTo(limit);
    const verdict = adaptiveVerdict(t, policy, limit + 1);
    expect(verdict).toBeInstanceOf(SlowTry);
    expect((verdict as SlowTry).message).toContain(`no answer within ${Math.round(limit)} ms`);
    // A small request on a fast deployment still gets the whole floor.
    const small = setup({ max_tokens: 1 });
    small.a.health.stats.observeSpeed(0, 1, 100, false, 1);
    expect(adaptiveVerdict(small.t, policy, 4_999)).toBe(5_000);
    expect(adaptiveVerdict(small.t, policy, 5_000)).toBeInstanceOf(SlowTry);
  });

  it('gives a bigger request a longer limit: more output tokens, a longer prompt', () => {
    const limitFor = (body: Record<string, unknown>) => {
      const { a, t } = setup(body);
      a.health.stats.observeSpeed(0, 100 * 20, 100, false, 20);
      return adaptiveVerdict(t, policy, 5_000) as number;
    };
    const base = limitFor({ max_tokens: 100 });
    expect(limitFor({ max_tokens: 1000 })).toBeGreaterThan(base);
    expect(limitFor({ max_tokens: 100, messages: [{ role: 'user', content: 'x'.repeat(100_000) }] })).toBeGreaterThan(base);
    // Without max_tokens: twice the deployment's recent output size, at least 256 tokens.
    expect(limitFor({})).toBeCloseTo(4 * 20 * (256 + promptWork(request({}))));
    const { a, t } = setup();
    a.health.stats.observeSpeed(0, 100 * 20, 100, false, 500);
    expect(adaptiveVerdict(t, policy, 5_000)).toBeCloseTo(4 * 20 * (1000 + promptWork(request({}))));
  });

  it('borrows the slowest speed measured on the route for a deployment never measured', () => {
    const { b, c, req, t } = setup({ max_tokens: 100 });
    b.health.stats.observeSpeed(0, 100, 100, false, 10);
    c.health.stats.observeSpeed(0, 3_000, 100, false, 10);
    expect(adaptiveVerdict(t, policy, 5_000)).toBeCloseTo(4 * 30 * (100 + promptWork(req)));
  });

  it('times a stream to its first token by the prompt alone', () => {
    const { a, req, t } = setup({ max_tokens: 100_000, messages: [{ role: 'user', content: 'x'.repeat(200_000) }] });
    a.health.stats.observeSpeed(0, 2_000, 100, true, undefined);
    a.health.stats.observeSpeed(0, 2_000, 100, false, 10);
    const first = { ...t, until: 'first-token' as const };
    // 20 ms per unit of prompt work; the 100 000 output tokens a whole answer may take do not count.
    expect(adaptiveVerdict(first, policy, 5_000)).toBeCloseTo(4 * 20 * promptWork(req));
    expect(adaptiveVerdict(t, policy, 5_000)).toBeCloseTo(4 * 20 * (100_000 + promptWork(req)));
    const verdict = adaptiveVerdict(first, policy, 4 * 20 * promptWork(req) + 1);
    expect((verdict as SlowTry).message).toContain('no first token within');
  });

  it('never ends a try when no other candidate could take it: it runs on to the hard limits', () => {
    const { a, b, c, t } = setup({ max_tokens: 1 });
    a.health.stats.observeSpeed(0, 1, 100, false, 1);
    b.health.drain();
    c.health.coolDown(0, 60_000);
    expect(adaptiveVerdict(t, policy, 6_000)).toBe(11_000);
    expect(adaptiveVerdict({ ...t, alternatives: [] }, policy, 6_000)).toBe(11_000);
    b.health.restore();
    expect(adaptiveVerdict(t, policy, 6_000)).toBeInstanceOf(SlowTry);
  });

  it('is on by default and off with timeouts.adaptive: false', () => {
    const rt = runtime(yaml);
    expect(rt.routes.get('r')!.timeouts.adaptive).toEqual({ factor: 4, floorMs: 5_000 });
    expect(rt.routes.get('off')!.timeouts.adaptive).toBeUndefined();
  });
});
