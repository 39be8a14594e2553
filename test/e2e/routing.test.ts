/**
 * The routing engine against real simulators with injected faults: breakers open at their threshold
 * and one trial closes them, Retry-After is honoured, the retry budget holds against a deployment that
 * always fails, strategies spread traffic as configured, and a soak with random faults gives every
 * request exactly one answer or one error with no breaker stuck open.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { useTestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const config = `
version: 1
simulators:
  a: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  b: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  c: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  d: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
providers:
  a: { type: openai, base_url: sim://a }
  b: { type: openai, base_url: sim://b }
  c: { type: openai, base_url: sim://c }
  d: { type: openai, base_url: sim://d }
deployments:
  a: { provider: a, model: m, price: { input_per_mtok: 5, output_per_mtok: 15 }, breaker: { min_requests: 4, error_percent: 50, reset_ms: 300 }, allow_floating: true }
  b: { provider: b, model: m, price: { input_per_mtok: 0.1, output_per_mtok: 0.2 }, breaker: { min_requests: 4, error_percent: 50, reset_ms: 300 }, allow_floating: true }
  c: { provider: c, model: m, price: { input_per_mtok: 1, output_per_mtok: 1 }, breaker: { min_requests: 4, error_percent: 50, reset_ms: 300 }, allow_floating: true }
  d: { provider: d, model: m, breaker: { min_requests: 1000 }, outlier: { consecutive_failures: 1000 }, allow_floating: true }
routes:
  pool:
    targets: [a, b, c]
    retries: { same_deployment: 0 }
    timeouts: { first_token_ms: 300, idle_ms: 300, total_ms: 5000 }
  weighted:
    strategy: weighted
    targets: [a, b]
    weights: { a: 3, b: 1 }
  cheap:
    strategy: cost
    targets: [a, b, c]
  budget:
    targets: [d]
    retries: { same_deployment: 3, budget_percent: 10, backoff_ms: 1, max_backoff_ms: 2 }
`;

const gw = useTestGateway(config);

const ask = (model: string) =>
  gw
    .client()
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'route me' }] })
    .withResponse();
const breakerOf = (id: string) => gw.deps.runtime.current.deployments.get(id)!.health.breaker;

describe('circuit breaker', () => {
  it('opens at its threshold, drops out of plans, and one trial closes it after recovery', async () => {
    gw.sim('a').setFaults([{ type: 'error', status: 500 }]);
    for (let i = 0; i < 4; i += 1) {
      const { response } = await ask('pool');
      expect(response.headers.get('x-switchyard-deployment')).toBe('b');
    }
    expect(breakerOf('a').state(performance.now())).toBe('open');
    const seen = gw.sim('a').stats().requests;
    for (let i = 0; i < 3; i += 1) {
      const { response } = await ask('pool');
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    }
    expect(gw.sim('a').stats().requests).toBe(seen);

    gw.sim('a').clearFaults();
    await pollUntil(() => breakerOf('a').state(performance.now()) === 'half_open', 'the reset time to pass');
    const { response } = await ask('pool');
    expect(response.headers.get('x-switchyard-deployment')).toBe('a');
    expect(breakerOf('a').state(performance.now())).toBe('closed');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_breaker_transitions_total\{deployment="a",from="closed",to="open"\} 1/);
    expect(metrics).toMatch(/switchyard_breaker_transitions_total\{deployment="a",from="half_open",to="closed"\} 1/);
    expect(metrics).toMatch(/switchyard_breaker_state\{deployment="a"\} 0/);
    expect(metrics).toMatch(/switchyard_failovers_total\{route="pool",from="a",to="b"\} 4/);
  });

  it('client errors never count against a deployment', async () => {
    gw.sim('a').setFaults([{ type: 'error', status: 400, message: 'bad field' }]);
    for (let i = 0; i < 6; i += 1) await expect(ask('pool')).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect(breakerOf('a').state(performance.now())).toBe('closed');
    expect(gw.sim('b').stats().requests).toBe(0);
  });
});

describe('rate limits', () => {
  it('honours Retry-After: no attempt on that deployment before it, the next one answers at once', async () => {
    gw.sim('a').setFaults([{ type: 'error', status: 429, retry_after_s: 30, count: 1 }]);
    const first = await ask('pool');
    expect(first.response.headers.get('x-switchyard-deployment')).toBe('b');
    for (let i = 0; i < 5; i += 1) {
      const { response } = await ask('pool');
      expect(response.headers.get('x-switchyard-deployment')).toBe('b');
    }
    expect(gw.sim('a').stats().requests).toBe(1);
    // A 429 is the deployment's quota, not a fault: the breaker stays closed.
    expect(breakerOf('a').state(performance.now())).toBe('closed');
  });

  it('answers 429 with the soonest Retry-After when every deployment is rate-limited', async () => {
    gw.sim('a').setFaults([{ type: 'error', status: 429, retry_after_s: 9 }]);
    gw.sim('b').setFaults([{ type: 'error', status: 429, retry_after_s: 4 }]);
    gw.sim('c').setFaults([{ type: 'error', status: 429, retry_after_ms: 6500 }]);
    const err = await ask('pool').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('4');
  });
});

describe('retry budget', () => {
  it('holds against a deployment that fails every request', async () => {
    gw.sim('d').setFaults([{ type: 'error', status: 500 }]);
    const requests = 40;
    for (let i = 0; i < requests; i += 1) await expect(ask('budget')).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    const upstream = gw.sim('d').stats().requests;
    // Without a budget: 40 × (1 + 3 retries) = 160 upstream requests.
    expect(upstream).toBeGreaterThan(requests);
    expect(upstream).toBeLessThanOrEqual(requests + Math.max(3, requests * 0.1) + 1);
  });
});

describe('strategies', () => {
  it('weighted: exact shares by weight', async () => {
    const picks: string[] = [];
    for (let i = 0; i < 40; i += 1) picks.push((await ask('weighted')).response.headers.get('x-switchyard-deployment')!);
    expect(picks.filter((p) => p === 'a')).toHaveLength(30);
    expect(picks.filter((p) => p === 'b')).toHaveLength(10);
  });

  it('cost: the cheapest deployment first, the next cheapest when it fails', async () => {
    expect((await ask('cheap')).response.headers.get('x-switchyard-deployment')).toBe('b');
    gw.sim('b').setFaults([{ type: 'error', status: 503 }]);
    expect((await ask('cheap')).response.headers.get('x-switchyard-deployment')).toBe('c');
  });
});

describe('soak with random faults', () => {
  it('gives every request exactly one answer or one error, and leaves no breaker stuck open', async () => {
    gw.sim('a').setFaults([{ type: 'error', status: 500, probability: 0.3 }]);
    gw.sim('b').setFaults([
      { type: 'reset', probability: 0.2 },
      { type: 'cut', after_chunks: 2, probability: 0.1 },
    ]);
    gw.sim('c').setFaults([
      { type: 'error', status: 503, probability: 0.2 },
      { type: 'stall', after_chunks: 1, probability: 0.05 },
    ]);
    const client = gw.client();
    const total = 1500;
    let next = 0;
    let answers = 0;
    let errors = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        try {
          if (i % 2 === 0) {
            const r = await client.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: `soak ${i}` }] });
            expect(r.choices[0]!.finish_reason).toBe('stop');
          } else {
            const stream = await client.chat.completions.create({
              model: 'pool',
              stream: true,
              messages: [{ role: 'user', content: `soak ${i}` }],
            });
            let finish: string | null | undefined;
            for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
            expect(finish).toBe('stop');
          }
          answers += 1;
        } catch (err) {
          expect(err).toBeInstanceOf(OpenAI.APIError);
          errors += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(answers + errors).toBe(total);
    expect(answers).toBeGreaterThan(total * 0.9);
    expect(gw.deps.state.inFlight).toBe(0);

    for (const s of gw.simulators.values()) s.clearFaults();
    for (let i = 0; i < 100 && ['a', 'b', 'c'].some((id) => breakerOf(id).state(performance.now()) !== 'closed'); i += 1) {
      await ask('pool');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const id of ['a', 'b', 'c']) expect(breakerOf(id).state(performance.now())).toBe('closed');
    // A bounded soak (1500 requests): a safety limit well above its usual run, for a busy shared machine.
  }, 90_000);
});
