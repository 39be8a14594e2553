/**
 * Two ways the runner saves an answer without waiting for the whole deadline: a per-try limit ends a
 * non-stream attempt to a silent upstream so the next candidate answers, and a short Retry-After is
 * waited out on the same deployment instead of failing over (both per route).
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../support/gateway.js';

const config = `
version: 1
simulators:
  a: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  b: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
providers:
  a: { type: openai, base_url: sim://a }
  b: { type: openai, base_url: sim://b }
deployments:
  a: { provider: a, model: m, allow_floating: true }
  b: { provider: b, model: m, allow_floating: true }
routes:
  per-try:
    targets: [a]
    fallbacks: [b]
    timeouts: { per_try_ms: 400, total_ms: 10000 }
  patient:
    targets: [a]
    fallbacks: [b]
    retries: { max_retry_after_wait_ms: 500 }
  impatient:
    targets: [a]
    fallbacks: [b]
`;

const gw = useTestGateway(config);

async function ask(model: string) {
  const raw = await gw
    .client()
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();
  return { answer: raw.data, headers: raw.response.headers };
}

describe('per-try limit (timeouts.per_try_ms)', () => {
  it('ends a non-stream attempt to a silent upstream and answers from the next candidate, well inside total_ms', async () => {
    gw.sim('a').setFaults([{ type: 'hang' }]);
    const { answer, headers } = await ask('per-try');
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect(headers.get('x-switchyard-deployment')).toBe('b');
    expect(headers.get('x-switchyard-failed')).toBe('a:timeout');
    // A timeout is not retried on the same deployment: one call reached the silent upstream.
    expect(gw.sim('a').stats().requests).toBe(1);
  });
});

describe('Retry-After within reach (retries.max_retry_after_wait_ms)', () => {
  it('waits out a short Retry-After and retries the same deployment', async () => {
    gw.sim('a').setFaults([{ type: 'error', status: 429, retry_after_ms: 100, count: 1 }]);
    const { headers } = await ask('patient');
    expect(headers.get('x-switchyard-deployment')).toBe('a');
    expect(headers.get('x-switchyard-attempts')).toBe('2');
    expect(gw.sim('b').stats().requests).toBe(0);
  });

  it('fails over at once when the Retry-After is longer, or the route does not wait', async () => {
    gw.sim('a').setFaults([{ type: 'error', status: 429, retry_after_ms: 5000, count: 1 }]);
    expect((await ask('patient')).headers.get('x-switchyard-deployment')).toBe('b');
    gw.reload(undefined, { freshState: true });
    gw.sim('a').setFaults([{ type: 'error', status: 429, retry_after_ms: 100, count: 1 }]);
    expect((await ask('impatient')).headers.get('x-switchyard-deployment')).toBe('b');
  });
});
