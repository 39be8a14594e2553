/**
 * The default config protects every request from a silent upstream (timeouts.adaptive, on by default):
 * a try that takes several times what its deployment usually takes for a request its size moves on to
 * the next candidate, long before total_ms (300 s) or first_token_ms (30 s). Nothing here sets a
 * timeout: these are the settings a user gets without writing any.
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../support/gateway.js';

const config = `
version: 1
simulators:
  a: { kind: openai, model: m, ttft_ms: 2, tpot_ms: 1, output_tokens: 8 }
  b: { kind: openai, model: m, ttft_ms: 2, tpot_ms: 1, output_tokens: 8 }
  c: { kind: openai, model: m, ttft_ms: 2, tpot_ms: 1, output_tokens: 8 }
providers:
  a: { type: openai, base_url: sim://a }
  b: { type: openai, base_url: sim://b }
  c: { type: openai, base_url: sim://c }
deployments:
  a: { provider: a, model: m, allow_floating: true }
  b: { provider: b, model: m, allow_floating: true }
  c: { provider: c, model: m, allow_floating: true }
routes:
  primary-fallback:
    targets: [a]
    fallbacks: [b]
  three:
    targets: [a, b, c]
`;

const gw = useTestGateway(config);
const messages = [{ role: 'user' as const, content: 'hello there' }];

async function warmUp(model: string, stream: boolean, n = 3): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    if (stream) {
      const s = await gw.client().chat.completions.create({ model, messages, stream: true });
      for await (const chunk of s) void chunk;
    } else {
      await gw.client().chat.completions.create({ model, messages });
    }
  }
}

describe('adaptive per-try limit under the default config', () => {
  it('answers a non-stream request whose primary hangs from the fallback, without waiting for total_ms', async () => {
    await warmUp('primary-fallback', false);
    gw.sim('a').setFaults([{ type: 'hang' }]);
    const raw = await gw.client().chat.completions.create({ model: 'primary-fallback', messages }).withResponse();
    expect(raw.data.choices[0]!.finish_reason).toBe('stop');
    expect(raw.response.headers.get('x-switchyard-deployment')).toBe('b');
    expect(raw.response.headers.get('x-switchyard-failed')).toBe('a:timeout');
    // Moved on at once: the silent upstream got one call, no retry on the same deployment.
    expect(gw.sim('a').stats().byOperation.chat).toBe(4);
    // The hung call was cancelled, not left open upstream.
    expect(gw.sim('a').stats().aborted).toBe(1);
  }, 20_000);

  it('answers a stream whose primary sends no first token from the fallback, without waiting for first_token_ms', async () => {
    await warmUp('primary-fallback', true);
    gw.sim('a').setFaults([{ type: 'hang' }]);
    const raw = await gw.client().chat.completions.create({ model: 'primary-fallback', messages, stream: true }).withResponse();
    let text = '';
    for await (const chunk of raw.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(raw.response.headers.get('x-switchyard-deployment')).toBe('b');
    expect(raw.response.headers.get('x-switchyard-failed')).toBe('a:timeout');
  }, 20_000);

  it('three upstreams, one resetting and one hung, streams and non-streams mixed: zero client errors', async () => {
    // The SDK's own timeout is not the subject: a loaded machine may take a while, and every answer must come.
    const client = gw.client({ timeout: 120_000 });
    // Half the requests cap their answer (max_tokens), half leave the adaptive limit to budget it.
    const body = (i: number) => ({
      model: 'three',
      messages: [{ role: 'user' as const, content: `load ${i}` }],
      ...(i % 4 < 2 ? { max_tokens: 32 } : {}),
    });
    const ask = async (i: number): Promise<string> => {
      if (i % 2 === 0) return (await client.chat.completions.create(body(i))).choices[0]!.message.content ?? '';
      const s = await client.chat.completions.create({ ...body(i), stream: true });
      let text = '';
      for await (const chunk of s) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    const first = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => ask(i)));
    gw.sim('a').setFaults([{ type: 'reset' }]);
    gw.sim('b').setFaults([{ type: 'hang' }]);
    const second = await Promise.allSettled(Array.from({ length: 120 }, (_, i) => ask(100 + i)));
    const results = [...first, ...second];
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const r of results) if (r.status === 'fulfilled') expect(r.value.length).toBeGreaterThan(0);
    // The faults were met, not dodged: both broken upstreams were sent traffic after the faults began.
    expect(gw.sim('a').stats().faultsApplied).toBeGreaterThan(0);
    expect(gw.sim('b').stats().aborted).toBeGreaterThan(0);
  }, 150_000);
});
