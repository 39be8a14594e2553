/**
 * Hedged first tokens (`routes.<name>.hedge`): a primary slow to its first token is raced by the next
 * candidate; the first token wins, the loser is cancelled upstream and never reaches the client.
 */
import { describe, expect, it } from 'vitest';
import { readSse, useTestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const gw = useTestGateway(`
version: 1
server: { port: 0 }
simulators:
  gpu: { kind: vllm, model: llama, ttft_ms: 5, tpot_ms: 1, output_tokens: 12 }
  cloud: { kind: openai, model: gpt-4o-mini-2024-07-18, ttft_ms: 5, tpot_ms: 1, output_tokens: 12 }
providers:
  gpu: { type: vllm, endpoints: [sim://gpu] }
  cloud: { type: openai, base_url: sim://cloud }
deployments:
  llama@gpu: { provider: gpu, model: llama }
  mini@cloud: { provider: cloud, model: gpt-4o-mini-2024-07-18 }
routes:
  hedged:
    targets: [llama@gpu]
    fallbacks: [mini@cloud]
    hedge: { after_ms: 150 }
  plain:
    targets: [llama@gpu]
    fallbacks: [mini@cloud]
`);

async function stream(model: string) {
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream: true }),
  });
  const events = await readSse(res);
  const chunks = events
    .filter((e) => e !== '[DONE]')
    .map((e) => JSON.parse(e) as { choices: Array<{ delta: { role?: string }; finish_reason: string | null }> });
  return {
    res,
    events,
    roles: chunks.filter((c) => c.choices[0]?.delta.role !== undefined).length,
    finishes: chunks.filter((c) => c.choices[0]?.finish_reason != null).length,
  };
}

const metric = async (pattern: RegExp): Promise<number> => {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
};

describe('hedge', () => {
  it('answers from the fallback when the primary is slow to its first token, and cancels the primary', async () => {
    gw.sim('gpu').setFaults([{ type: 'slow_first_token', delay_ms: 3_000 }]);
    const started = performance.now();
    const { res, events, roles, finishes } = await stream('hedged');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    expect(res.headers.get('x-switchyard-hedged')).toBe('mini@cloud');
    expect(res.headers.get('x-switchyard-failed')).toBeNull();
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.filter((e) => e === '[DONE]')).toHaveLength(1);
    expect(roles).toBe(1);
    expect(finishes).toBe(1);
    await pollUntil(() => gw.sim('gpu').stats().aborted === 1, 'the primary upstream request to be aborted');
    expect(gw.sim('gpu').stats().completed).toBe(0);
    expect(await metric(/switchyard_hedges_total\{route="hedged",deployment="mini@cloud",result="won"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    // The loser is `aborted`: not a failure.
    expect(
      await metric(/switchyard_upstream_attempts_total\{route="hedged",deployment="llama@gpu",provider="gpu",outcome="aborted"\} (\d+)/),
    ).toBe(1);
  });

  it('counts a hedge that loses: the primary answers first after the hedge started', async () => {
    gw.sim('gpu').setFaults([{ type: 'slow_first_token', delay_ms: 200 }]);
    gw.sim('cloud').setFaults([{ type: 'slow_first_token', delay_ms: 3_000 }]);
    const { res, roles, finishes } = await stream('hedged');
    expect(res.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    expect(res.headers.get('x-switchyard-hedged')).toBe('mini@cloud');
    expect([roles, finishes]).toEqual([1, 1]);
    await pollUntil(() => gw.sim('cloud').stats().aborted === 1, 'the hedge upstream request to be aborted');
    expect(await metric(/switchyard_hedges_total\{route="hedged",deployment="mini@cloud",result="lost"\} (\d+)/)).toBe(1);
  });

  it('starts no hedge when the first token comes before the delay', async () => {
    const { res, events } = await stream('hedged');
    expect(res.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
    expect(res.headers.get('x-switchyard-attempts')).toBe('1');
    expect(res.headers.get('x-switchyard-hedged')).toBeNull();
    expect(events.at(-1)).toBe('[DONE]');
    await new Promise((r) => setTimeout(r, 200));
    expect(gw.sim('cloud').stats().requests).toBe(0);
  });

  it('without hedge, the same request waits for the primary', async () => {
    gw.sim('gpu').setFaults([{ type: 'slow_first_token', delay_ms: 400 }]);
    const started = performance.now();
    const { res, events } = await stream('plain');
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(res.headers.get('x-switchyard-deployment')).toBe('llama@gpu');
    expect(res.headers.get('x-switchyard-attempts')).toBe('1');
    expect(res.headers.get('x-switchyard-hedged')).toBeNull();
    expect(events.at(-1)).toBe('[DONE]');
    expect(gw.sim('cloud').stats().requests).toBe(0);
  });
});
