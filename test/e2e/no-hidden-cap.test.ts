/**
 * No hidden cap: the only limits on concurrency are the ones the operator wrote. Under the default
 * config one provider carries a thousand slow streams at once (an upstream connection pool of fixed
 * size used to make the rest wait inside the gateway, then answered them 504 "no first token",
 * blaming an upstream that was never asked). A configured `max_connections` is a refusal, not a
 * queue: past it a request moves on to the fallback, or gets an error naming the gateway's own cap.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { useTestGateway } from '../support/gateway.js';

// `slow` keeps each stream open ~9 s, mostly before its first token (no CPU spent), so that even a busy
// machine sends most of the thousand requests before the first ones end.
const config = `
version: 1
simulators:
  slow: { kind: openai, model: m, ttft_ms: 8000, tpot_ms: 20, output_tokens: 50 }
  capped: { kind: openai, model: m, ttft_ms: 50, tpot_ms: 20, output_tokens: 50 }
  spare: { kind: openai, model: m, ttft_ms: 50, tpot_ms: 20, output_tokens: 50 }
providers:
  slow: { type: openai, base_url: sim://slow }
  capped: { type: openai, base_url: sim://capped, max_connections: 2 }
  spare: { type: openai, base_url: sim://spare }
deployments:
  slow: { provider: slow, model: m, allow_floating: true }
  capped: { provider: capped, model: m, allow_floating: true }
  spare: { provider: spare, model: m, allow_floating: true }
routes:
  one:
    targets: [slow]
  capped-with-fallback:
    targets: [capped]
    fallbacks: [spare]
  capped-alone:
    targets: [capped]
`;

const gw = useTestGateway(config);

interface StreamAnswer {
  text: string;
  finish: string | null | undefined;
  deployment: string | null;
  failed: string | null;
}

async function streamOnce(client: OpenAI, model: string, i: number): Promise<StreamAnswer> {
  const raw = await client.chat.completions
    .create({ model, stream: true, messages: [{ role: 'user', content: `stream ${i}` }] })
    .withResponse();
  let text = '';
  let finish: string | null | undefined;
  for await (const chunk of raw.data) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  const headers = raw.response.headers;
  return { text, finish, deployment: headers.get('x-switchyard-deployment'), failed: headers.get('x-switchyard-failed') };
}

/** The simulator's highest in-flight count while `work` runs, sampled every few milliseconds. */
async function peakInFlight<T>(sim: string, work: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, gw.sim(sim).stats().inFlight)), 5);
  try {
    const result = await work;
    return { result, peak: Math.max(peak, gw.sim(sim).stats().inFlight) };
  } finally {
    clearInterval(sample);
  }
}

describe('no hidden cap', () => {
  it('carries 1000 concurrent slow streams through one provider under the default transport', async () => {
    // The SDK's own timeout is not the subject: a loaded 2-core machine may take a while.
    const client = gw.client({ timeout: 120_000 });
    const n = 1000;
    const { result, peak } = await peakInFlight(
      'slow',
      Promise.allSettled(Array.from({ length: n }, (_, i) => streamOnce(client, 'one', i))),
    );
    expect(result.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const r of result) {
      if (r.status !== 'fulfilled') continue;
      expect(r.value.finish).toBe('stop');
      expect(r.value.text.length).toBeGreaterThan(0);
      expect(r.value.failed).toBeNull();
    }
    expect(gw.sim('slow').stats().byOperation.chat).toBe(n);
    // Open upstream at the same time, far past the old pool's 64 (the rest used to queue inside the
    // gateway). All 1000 on an idle machine; a loaded one may still be sending the last when the first end.
    expect(peak).toBeGreaterThan(500);
  }, 120_000);

  it('sends requests past a configured max_connections to the fallback at once, never a timeout blamed on the upstream', async () => {
    const client = gw.client({ timeout: 60_000 });
    const { result, peak } = await peakInFlight(
      'capped',
      Promise.all(Array.from({ length: 10 }, (_, i) => streamOnce(client, 'capped-with-fallback', i))),
    );
    for (const answer of result) {
      expect(answer.finish).toBe('stop');
      expect(answer.text.length).toBeGreaterThan(0);
      expect(answer.failed ?? '').not.toMatch(/timeout/);
    }
    // The cap held upstream, and what it refused went to the fallback as 'overloaded'.
    expect(peak).toBeLessThanOrEqual(2);
    expect(result.filter((a) => a.deployment === 'capped').length).toBeGreaterThanOrEqual(2);
    const movedOn = result.filter((a) => a.deployment === 'spare');
    expect(movedOn.length).toBeGreaterThan(0);
    // Each moved on after the local refusal; a refusal is not the upstream's failure, so it is never skipped
    // for a breaker opened by refusals.
    for (const answer of movedOn) expect(answer.failed).toBe('capped:overloaded');
  }, 60_000);

  it('without a fallback, answers requests past the cap with an error naming the local cap, not a 504', async () => {
    const client = gw.client({ timeout: 60_000 });
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => streamOnce(client, 'capped-alone', i)));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.length - refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(OpenAI.APIError);
      const err = r.reason as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(503);
      expect(err.message).toMatch(/max_connections: 2/);
      expect(err.message).toMatch(/not asked/);
    }
    // Refused at once (no retry: nothing was asked upstream), not after a first-token timeout.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(gw.sim('capped').stats().byOperation.chat).toBe(results.length - refused.length);
  }, 60_000);
});
