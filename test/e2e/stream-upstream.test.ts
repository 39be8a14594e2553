/**
 * Routes with `stream_upstream: true`: non-stream clients get the stream protections. The issue's
 * scenario: three upstreams, one resetting connections and one hung, under load → zero client errors.
 */
import { describe, expect, it } from 'vitest';
import { expectSchema } from '../support/openapi.js';
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
  guarded:
    strategy: least-busy
    targets: [a, b, c]
    stream_upstream: true
    timeouts: { first_token_ms: 300, idle_ms: 300, total_ms: 8000 }
  plain:
    targets: [c]
`;

const gw = useTestGateway(config);

const tools = [
  {
    type: 'function' as const,
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
];

describe('stream_upstream', () => {
  it('answers non-stream clients with the same schema-valid body a non-stream upstream gives', async () => {
    const messages = [{ role: 'user' as const, content: 'same answer please' }];
    const viaStream = await gw.client().chat.completions.create({ model: 'guarded', messages, n: 2 });
    const direct = await gw.client().chat.completions.create({ model: 'plain', messages, n: 2 });
    expectSchema('CreateChatCompletionResponse', viaStream);
    expect(viaStream.choices.map((c) => c.message.content)).toEqual(direct.choices.map((c) => c.message.content));
    expect(viaStream.usage).toEqual(direct.usage);
    const call = await gw.client().chat.completions.create({
      model: 'guarded',
      messages: [{ role: 'user', content: 'weather in Rome?' }],
      tools,
      tool_choice: 'required',
    });
    expectSchema('CreateChatCompletionResponse', call);
    const fn = call.choices[0]!.message.tool_calls![0]!;
    if (fn.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(fn.function.arguments)).toHaveProperty('city');
    expect(call.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('three upstreams, one resetting and one hung mid-load: zero client-visible errors', async () => {
    const client = gw.client();
    const run = (i: number) => client.chat.completions.create({ model: 'guarded', messages: [{ role: 'user', content: `load ${i}` }] });
    const first = Array.from({ length: 30 }, (_, i) => run(i));
    gw.sim('a').setFaults([{ type: 'reset' }]);
    gw.sim('b').setFaults([{ type: 'hang' }]);
    const second = Array.from({ length: 60 }, (_, i) => run(100 + i));
    const results = await Promise.allSettled([...first, ...second]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
    for (const r of results) if (r.status === 'fulfilled') expect(r.value.choices[0]!.message.content).toBeTruthy();
  });
});
