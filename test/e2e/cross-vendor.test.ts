/**
 * Every native vendor behind one route, as the "done when" asks: the openai SDK gets the same
 * answer shape from Anthropic, Bedrock, Gemini and Azure (each a simulator of its own wire format), a
 * tool call round trip through each, and a failover across vendors: a stream Anthropic breaks off
 * mid-answer is finished on Bedrock by prefill, and the client reads one uninterrupted answer. The
 * simulators share the answer plan, so the finished answer can be compared with an unbroken one.
 */
import { describe, expect, it } from 'vitest';
import { expectSchema } from '../support/openapi.js';
import { useTestGateway } from '../support/gateway.js';

const claude = 'claude-sonnet-4-20250514';
const claudeOnBedrock = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const timeouts = 'timeouts: { first_token_ms: 5000, idle_ms: 3000, total_ms: 15000 }';

const config = `
version: 1
simulators:
  claude: { kind: anthropic, model: ${claude}, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
  aws: { kind: bedrock, model: ${claudeOnBedrock}, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
  gem: { kind: gemini, model: gemini-2.0-flash-001, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
  az: { kind: azure, model: chat-prod, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
providers:
  anthropic: { type: anthropic, base_url: sim://claude, api_key: "\${ANTHROPIC_API_KEY}" }
  bedrock: { type: bedrock, base_url: sim://aws, region: us-east-1, access_key_id: "\${AWS_ACCESS_KEY_ID}", secret_access_key: "\${AWS_SECRET_ACCESS_KEY}" }
  gemini: { type: gemini, base_url: sim://gem, api_key: "\${GEMINI_API_KEY}" }
  azure: { type: azure, base_url: sim://az, api_key: "\${AZURE_OPENAI_API_KEY}" }
deployments:
  claude@anthropic: { provider: anthropic, model: ${claude}, capabilities: [tools, prefill] }
  claude@bedrock: { provider: bedrock, model: ${claudeOnBedrock}, capabilities: [tools, prefill] }
  flash@gemini: { provider: gemini, model: gemini-2.0-flash-001, capabilities: [tools] }
  chat@azure: { provider: azure, model: chat-prod, capabilities: [tools] }
routes:
  anthropic: { targets: [claude@anthropic] }
  bedrock: { targets: [claude@bedrock] }
  gemini: { targets: [flash@gemini] }
  azure: { targets: [chat@azure] }
  claude: { targets: [claude@anthropic], fallbacks: [claude@bedrock], retries: { same_deployment: 0 }, ${timeouts} }
`;

const gw = useTestGateway(config, {
  ANTHROPIC_API_KEY: 'sk-ant-cross-vendor',
  AWS_ACCESS_KEY_ID: 'AKIDCROSSVENDOR',
  AWS_SECRET_ACCESS_KEY: 'cross-vendor-secret',
  GEMINI_API_KEY: 'gemini-cross-vendor',
  AZURE_OPENAI_API_KEY: 'azure-cross-vendor',
});

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function streamed(model: string, content: string) {
  const stream = await gw.client().chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true });
  let text = '';
  for await (const chunk of stream) {
    expectSchema('CreateChatCompletionStreamResponse', chunk);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return text;
}

describe('every vendor through one gateway', () => {
  it.each(['anthropic', 'bedrock', 'gemini', 'azure'])('%s: a spec-valid answer, a stream, and a tool call round trip', async (route) => {
    const client = gw.client();
    const answer = await client.chat.completions.create({ model: route, messages: [{ role: 'user', content: 'Say something.' }] });
    expectSchema('CreateChatCompletionResponse', answer);
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
    expect((await streamed(route, 'Say something.')).length).toBeGreaterThan(0);

    const ask = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
    const call = await client.chat.completions.create({ model: route, messages: ask, tools: [weather] });
    expectSchema('CreateChatCompletionResponse', call);
    const toolCall = call.choices[0]!.message.tool_calls?.[0];
    expect(call.choices[0]!.finish_reason).toBe('tool_calls');
    expect(toolCall?.type === 'function' && toolCall.function.name).toBe('get_weather');
    const args = JSON.parse(toolCall?.type === 'function' ? toolCall.function.arguments : '{}') as { city?: unknown };
    expect(typeof args.city).toBe('string');
    const after = await client.chat.completions.create({
      model: route,
      tools: [weather],
      messages: [...ask, call.choices[0]!.message, { role: 'tool', tool_call_id: toolCall!.id, content: '{"temperature_c": 18}' }],
    });
    expectSchema('CreateChatCompletionResponse', after);
    expect(after.choices[0]!.finish_reason).toBe('stop');
    expect(after.choices[0]!.message.content?.length).toBeGreaterThan(0);
  });

  it('finishes on Bedrock, by prefill, a stream Anthropic broke off mid-answer', async () => {
    const reference = await streamed('bedrock', 'Tell me about rail yards at length.');
    gw.sim('claude').setFaults([{ type: 'cut', after_chunks: 8, count: 1 }]);
    const finished = await streamed('claude', 'Tell me about rail yards at length.');
    expect(finished).toBe(reference);
    const sent = gw.sim('aws').recentRequests().at(-1)?.body as { messages: Array<{ role: string; content: Array<{ text?: string }> }> };
    const last = sent.messages.at(-1)!;
    expect(last.role).toBe('assistant');
    expect(reference.startsWith(last.content.map((c) => c.text ?? '').join(''))).toBe(true);
    expect(gw.sim('claude').stats().requests).toBe(1);
  });
});
