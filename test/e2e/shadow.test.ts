/**
 * Shadow traffic end to end (`routes.<name>.shadow`), with the openai SDK: the client's answer is the
 * primary's alone, a copy of each request goes to the shadow deployment (always non-stream), and the
 * switchyard_shadow_* metrics count both sides; a failing shadow never touches the client and counts as
 * an error; a hanging one holds at most `max_in_flight` copies, skipping the rest, and the clients never
 * notice.
 *
 * Metrics are counters of the whole file's gateway: each test reads them before and after.
 */
import { RateLimitError } from 'openai';
import { describe, expect, it } from 'vitest';
import { startTestGateway, useTestGateway, type TestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const config = `
version: 1
simulators:
  primary-sim: { kind: openai, model: m-2024-08-06, ttft_ms: 2, tpot_ms: 0, output_tokens: 6 }
  shadow-sim: { kind: openai, model: m-2025-01-01, ttft_ms: 2, tpot_ms: 0, output_tokens: 10 }
  hang-sim: { kind: openai, model: m-2025-01-01, ttft_ms: 2, tpot_ms: 0, output_tokens: 10 }
providers:
  primary-sim: { type: openai, base_url: sim://primary-sim }
  shadow-sim: { type: openai, base_url: sim://shadow-sim }
  hang-sim: { type: openai, base_url: sim://hang-sim }
deployments:
  primary: { provider: primary-sim, model: m-2024-08-06 }
  shadow-dep: { provider: shadow-sim, model: m-2025-01-01 }
  hang-dep: { provider: hang-sim, model: m-2025-01-01 }
routes:
  chat:
    targets: [primary]
    shadow: { target: shadow-dep, percent: 100 }
  half:
    targets: [primary]
    shadow: { target: shadow-dep, percent: 50 }
  # A copy that hangs ends at the route's first-token timeout (the shadow's attempts use the route's timeouts).
  hanging:
    targets: [primary]
    shadow: { target: hang-dep, percent: 100, max_in_flight: 2 }
    timeouts: { first_token_ms: 1500, total_ms: 3000, adaptive: false }
  plain:
    targets: [primary]
`;

const gw = useTestGateway(config);
const messages = [{ role: 'user' as const, content: 'Say something' }];

/** One request, read to its end: the deployment that answered and the text. */
async function ask(g: TestGateway, route: string, stream = false): Promise<{ deployment: string | null; model: string; text: string }> {
  if (stream) {
    const { data, response } = await g.client().chat.completions.create({ model: route, messages, stream: true }).withResponse();
    let text = '';
    let model = '';
    for await (const chunk of data) {
      model ||= chunk.model;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    return { deployment: response.headers.get('x-switchyard-deployment'), model, text };
  }
  const { data, response } = await g.client().chat.completions.create({ model: route, messages }).withResponse();
  return { deployment: response.headers.get('x-switchyard-deployment'), model: data.model, text: data.choices[0]!.message.content ?? '' };
}

async function metrics(): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

/** The sample of `name` with exactly these labels (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}} `;
  const line = text.split('\n').find((l) => l.startsWith(wanted));
  return line === undefined ? 0 : Number(line.slice(wanted.length));
}

const shadowCount = (text: string, route: string, side: string, outcome: string) =>
  sample(text, 'switchyard_shadow_requests_total', { route, side, outcome });

describe('shadow traffic', () => {
  it('answers from the primary only and copies every request to the shadow, counted side by side', async () => {
    const before = await metrics();
    const n = 12;
    const answers = await Promise.all(Array.from({ length: n }, () => ask(gw, 'chat')));
    for (const a of answers) {
      expect(a.deployment).toBe('primary');
      expect(a.model).toBe('m-2024-08-06');
      expect(a.text).not.toBe('');
    }
    await pollUntil(() => gw.sim('shadow-sim').stats().completed >= n, 'the shadow to answer every copy');
    expect(gw.sim('shadow-sim').stats().requests).toBe(n);
    expect(gw.sim('primary-sim').stats().requests).toBe(n);
    await pollUntil(
      async () => shadowCount(await metrics(), 'chat', 'shadow', 'success') - shadowCount(before, 'chat', 'shadow', 'success') === n,
      'the copies to be counted',
    );
    const after = await metrics();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('switchyard_shadow_requests_total', { route: 'chat', side: 'primary', outcome: 'success' })).toBe(n);
    expect(delta('switchyard_shadow_requests_total', { route: 'chat', side: 'shadow', outcome: 'error' })).toBe(0);
    expect(delta('switchyard_shadow_requests_total', { route: 'chat', side: 'shadow', outcome: 'skipped' })).toBe(0);
    for (const side of ['primary', 'shadow']) {
      expect(delta('switchyard_shadow_duration_seconds_count', { route: 'chat', side })).toBe(n);
      expect(delta('switchyard_shadow_duration_seconds_sum', { route: 'chat', side })).toBeGreaterThan(0);
      expect(delta('switchyard_shadow_output_tokens_count', { route: 'chat', side })).toBe(n);
    }
    // Each side's output length: the primary simulator answers 6 tokens, the shadow 10.
    expect(delta('switchyard_shadow_output_tokens_sum', { route: 'chat', side: 'primary' })).toBe(6 * n);
    expect(delta('switchyard_shadow_output_tokens_sum', { route: 'chat', side: 'shadow' })).toBe(10 * n);
    // The copies stay out of the route's request counts: only the client's requests are there.
    expect(after.split('\n').filter((l) => l.startsWith('switchyard_requests_total{') && l.includes('deployment="shadow-dep"'))).toEqual(
      [],
    );
    expect(after).toMatch(/^switchyard_requests_total\{route="chat",operation="chat",deployment="primary",status_class="2xx"\} \d+$/m);
    // A route without a shadow copies nothing.
    await ask(gw, 'plain');
    expect(gw.sim('shadow-sim').stats().requests).toBe(n);
  });

  it('copies a stream as a non-stream request; the client still gets its stream', async () => {
    const before = await metrics();
    const n = 6;
    const answers = await Promise.all(Array.from({ length: n }, () => ask(gw, 'chat', true)));
    for (const a of answers) {
      expect(a.deployment).toBe('primary');
      expect(a.text).not.toBe('');
    }
    await pollUntil(() => gw.sim('shadow-sim').stats().completed >= n, 'the shadow to answer every copy');
    const copies = gw.sim('shadow-sim').recentRequests();
    expect(copies).toHaveLength(n);
    for (const c of copies) {
      const body = c.body as Record<string, unknown>;
      expect(body.stream).toBe(false);
      expect(body).not.toHaveProperty('stream_options');
      expect(body.messages).toEqual(messages);
    }
    // The primary got streams.
    for (const r of gw.sim('primary-sim').recentRequests()) expect((r.body as { stream?: unknown }).stream).toBe(true);
    await pollUntil(
      async () => shadowCount(await metrics(), 'chat', 'shadow', 'success') - shadowCount(before, 'chat', 'shadow', 'success') === n,
      'the copies to be counted',
    );
    const after = await metrics();
    expect(shadowCount(after, 'chat', 'primary', 'success') - shadowCount(before, 'chat', 'primary', 'success')).toBe(n);
  });

  it('a failing shadow never touches the client, and counts as an error', async () => {
    gw.sim('shadow-sim').setFaults([{ type: 'error', status: 500, message: 'shadow broke' }]);
    const before = await metrics();
    const n = 16;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => ask(gw, 'chat', i % 2 === 0)));
    for (const a of answers) {
      expect(a.deployment).toBe('primary');
      expect(a.text).not.toBe('');
    }
    await pollUntil(
      async () => shadowCount(await metrics(), 'chat', 'shadow', 'error') - shadowCount(before, 'chat', 'shadow', 'error') === n,
      'the failed copies to be counted',
    );
    const after = await metrics();
    expect(shadowCount(after, 'chat', 'shadow', 'success') - shadowCount(before, 'chat', 'shadow', 'success')).toBe(0);
    expect(shadowCount(after, 'chat', 'primary', 'success') - shadowCount(before, 'chat', 'primary', 'success')).toBe(n);
    // One attempt per copy: no retry, no fallback (copies plan the shadow deployment alone, once); a breaker
    // that opened on the way fails later copies without sending them.
    expect(gw.sim('shadow-sim').stats().requests).toBeLessThanOrEqual(n);
    expect(gw.sim('shadow-sim').stats().requests).toBeGreaterThan(0);
    expect(gw.sim('primary-sim').stats().requests).toBe(n);
  });

  it('a hanging shadow holds at most max_in_flight copies and skips the rest; clients are unaffected', async () => {
    gw.sim('hang-sim').setFaults([{ type: 'hang' }]);
    const before = await metrics();
    const n = 10;
    for (let i = 0; i < n; i += 1) {
      const a = await ask(gw, 'hanging', i % 2 === 1);
      expect(a.deployment).toBe('primary');
      expect(a.text).not.toBe('');
    }
    let after = await metrics();
    expect(shadowCount(after, 'hanging', 'shadow', 'skipped') - shadowCount(before, 'hanging', 'shadow', 'skipped')).toBe(n - 2);
    expect(gw.sim('hang-sim').stats().requests).toBe(2);
    expect(gw.sim('hang-sim').stats().inFlight).toBe(2);
    // The primary side is counted for the requests whose copy went out.
    expect(shadowCount(after, 'hanging', 'primary', 'success') - shadowCount(before, 'hanging', 'primary', 'success')).toBe(2);

    // The hanging copies end at the route's timeout (errors), and copies go out again.
    await pollUntil(
      async () => shadowCount(await metrics(), 'hanging', 'shadow', 'error') - shadowCount(before, 'hanging', 'shadow', 'error') === 2,
      'the hanging copies to time out',
      { limitMs: 10_000, everyMs: 100 },
    );
    gw.sim('hang-sim').clearFaults();
    await ask(gw, 'hanging');
    await pollUntil(
      async () => shadowCount(await metrics(), 'hanging', 'shadow', 'success') - shadowCount(before, 'hanging', 'shadow', 'success') === 1,
      'a copy to go out again once the others ended',
      { limitMs: 10_000, everyMs: 50 },
    );
    after = await metrics();
    expect(shadowCount(after, 'hanging', 'shadow', 'skipped') - shadowCount(before, 'hanging', 'shadow', 'skipped')).toBe(n - 2);
  });

  it('copies about the configured share of requests', async () => {
    const before = await metrics();
    const n = 100;
    for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, () => ask(gw, 'half')));
    await pollUntil(() => gw.sim('shadow-sim').stats().inFlight === 0, 'the copies to finish');
    const copies = gw.sim('shadow-sim').stats().requests;
    // Binomial(100, 0.5): outside 15..85 with probability below 1e-12.
    expect(copies).toBeGreaterThan(15);
    expect(copies).toBeLessThan(85);
    await pollUntil(
      async () => shadowCount(await metrics(), 'half', 'shadow', 'success') - shadowCount(before, 'half', 'shadow', 'success') === copies,
      'the copies to be counted',
    );
    const after = await metrics();
    expect(shadowCount(after, 'half', 'primary', 'success') - shadowCount(before, 'half', 'primary', 'success')).toBe(copies);
  });

  it('copies only requests the primary serves: none for a request its key limits refuse', async () => {
    // A key over its rpm gets 429 and nothing is tried for it; nor should the shadow get a copy (the copy
    // is not charged to the key, so a client over its limit would otherwise drive shadow traffic at will).
    const limited = await startTestGateway(
      config.replace('routes:', 'keys:\n  - { name: one, key: sk-shadow-one-0123456789, limits: { rpm: 1 } }\nroutes:'),
    );
    try {
      const client = limited.client({ apiKey: 'sk-shadow-one-0123456789' });
      await client.chat.completions.create({ model: 'chat', messages });
      for (let i = 0; i < 4; i += 1)
        await expect(client.chat.completions.create({ model: 'chat', messages })).rejects.toThrow(RateLimitError);
      // Copies are detached from the answers: give any that went out the time to arrive and finish.
      await new Promise((r) => setTimeout(r, 300));
      await pollUntil(() => limited.sim('shadow-sim').stats().inFlight === 0, 'the copies to finish');
      expect(limited.sim('primary-sim').stats().requests).toBe(1);
      expect(limited.sim('shadow-sim').stats().requests).toBe(1);
      const text = await (await fetch(`${limited.url}/metrics`)).text();
      expect(shadowCount(text, 'chat', 'primary', 'error')).toBe(0);
    } finally {
      await limited.close(1000);
    }
  });
});
