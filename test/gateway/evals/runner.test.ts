/**
 * The runner through a scripted `send` (the transport is the caller's): what is sent, how failures of
 * every kind become failed cases instead of exceptions, the check of the variant that served, the
 * concurrency bound and the totals.
 */
import { describe, expect, it } from 'vitest';
import { runSuite, type EvalAnswer, type EvalSend } from '../../../gateway/evals/runner.js';
import type { Suite } from '../../../gateway/evals/suite.js';

const suite: Suite = {
  name: 'unit',
  cases: [
    { name: 'a', body: { max_tokens: 4, messages: [{ role: 'user', content: 'a' }] }, expect: { contains: ['lorem'] } },
    { name: 'b', body: { messages: [{ role: 'user', content: 'b' }] }, expect: { regex: '^lorem' } },
  ],
};

const ok = (content: string, more: Partial<EvalAnswer> = {}): EvalAnswer => ({
  status: 200,
  body: { choices: [{ message: { role: 'assistant', content } }], usage: { prompt_tokens: 5, completion_tokens: 7 } },
  latencyMs: 10,
  costUsd: undefined,
  servedVariant: undefined,
  deployment: 'dep',
  ...more,
});

describe('runSuite', () => {
  it('sends each case with the route as model, not streamed, once per variant', async () => {
    const sent: [Record<string, unknown>, string][] = [];
    const send: EvalSend = async (body, variant) => {
      sent.push([body, variant]);
      return ok('lorem ipsum', { servedVariant: variant });
    };
    const report = await runSuite(suite, 'chat', ['stable', 'canary'], send);
    expect(sent).toContainEqual([{ max_tokens: 4, messages: [{ role: 'user', content: 'a' }], model: 'chat', stream: false }, 'canary']);
    expect(sent.map(([, v]) => v)).toEqual(['stable', 'stable', 'canary', 'canary']);
    expect(report.pass).toBe(true);
    expect(report.variants.map((v) => [v.variant, v.passed, v.cases])).toEqual([
      ['stable', 2, 2],
      ['canary', 2, 2],
    ]);
  });

  it('fails a case, never throws, on a rejected send, a non-2xx answer or a failing check', async () => {
    const answers: Record<string, () => Promise<EvalAnswer>> = {
      a: () => Promise.reject(new Error('POST http://gw/v1/chat/completions: fetch failed: connect ECONNREFUSED')),
      b: async () => ({ ...ok(''), status: 502, body: { error: { message: 'every deployment failed', type: 'api_error' } } }),
    };
    const report = await runSuite(suite, 'chat', ['stable'], (body) =>
      answers[String((body.messages as { content: string }[])[0]!.content)]!(),
    );
    expect(report.pass).toBe(false);
    expect(report.variants[0]!.results.map((r) => [r.name, r.pass, r.reason, r.status])).toEqual([
      ['a', false, 'request failed: POST http://gw/v1/chat/completions: fetch failed: connect ECONNREFUSED', null],
      ['b', false, 'HTTP 502: every deployment failed', 502],
    ]);
    const checked = await runSuite(suite, 'chat', ['stable'], async () => ok('ipsum'));
    expect(checked.variants[0]!.results.map((r) => r.reason)).toEqual(['does not contain "lorem"', 'does not match /^lorem/: "ipsum"']);
  });

  it('fails a case another variant served; an answer without a variant header is the stable variant (a route without a canary)', async () => {
    const report = await runSuite(suite, 'chat', ['stable', 'canary'], async () => ok('lorem'));
    expect(report.variants.map((v) => v.results.map((r) => r.reason ?? 'pass'))).toEqual([
      ['pass', 'pass'],
      ['served by stable, not canary', 'served by stable, not canary'],
    ]);
    const swapped = await runSuite(suite, 'chat', ['stable'], async () => ok('lorem', { servedVariant: 'canary' }));
    expect(swapped.variants[0]!.results[0]!.reason).toBe('served by canary, not stable');
  });

  it('keeps at most `concurrency` cases in flight', async () => {
    const many: Suite = { name: 'many', cases: Array.from({ length: 9 }, (_, i) => ({ name: `c${i}`, body: {}, expect: { regex: '.' } })) };
    let inFlight = 0;
    let peak = 0;
    const send: EvalSend = async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return ok('x');
    };
    const report = await runSuite(many, 'chat', ['stable'], send, { concurrency: 3 });
    expect(peak).toBe(3);
    expect(report.variants[0]!.results.map((r) => r.name)).toEqual(many.cases.map((c) => c.name));
  });

  it('sums tokens and cost, and averages latency over the cases that got an answer', async () => {
    const latencies = [10, 30];
    let i = 0;
    const report = await runSuite(suite, 'chat', ['stable'], async () => {
      const n = i++;
      return ok('lorem', { latencyMs: latencies[n]!, costUsd: n === 0 ? 0.001 : undefined });
    });
    const v = report.variants[0]!;
    expect(v.latencyMs).toEqual({ mean: 20, p95: 30 });
    expect(v.tokens).toEqual({ prompt: 10, completion: 14 });
    expect(v.costUsd).toEqual({ total: 0.001, mean: 0.001, unknown: 1 });
    expect(v.results[0]).toEqual({
      name: 'a',
      pass: true,
      status: 200,
      latencyMs: 10,
      costUsd: 0.001,
      promptTokens: 5,
      completionTokens: 7,
      servedVariant: null,
      deployment: 'dep',
    });
  });
});
