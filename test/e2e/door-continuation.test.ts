/**
 * A front door's stream that breaks after its first byte. Translated (the upstream speaks OpenAI's
 * wire), it is finished on another deployment like any chat stream — by prefill on Anthropic's own
 * deployment too, which then gets the OpenAI translation's continuation, not the client's native body —
 * and the client reads one complete answer in its own wire. Native (the upstream speaks the door's
 * wire), the client already holds the upstream's own events, which no other deployment can continue:
 * the stream ends with the wire's error event, never a quiet truncation.
 */
import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { useTestGateway } from '../support/gateway.js';

const claudeModel = 'claude-sonnet-4-20250514';
const timeouts = 'timeouts: { first_token_ms: 5000, idle_ms: 3000, total_ms: 15000 }';

const config = `
version: 1
simulators:
  claude: { kind: anthropic, model: ${claudeModel}, ttft_ms: 1, tpot_ms: 1, output_tokens: 30, api_key: "\${ANTHROPIC_API_KEY}" }
  llama: { kind: vllm, model: llama, ttft_ms: 1, tpot_ms: 1, output_tokens: 30 }
providers:
  anthropic: { type: anthropic, base_url: sim://claude, api_key: "\${ANTHROPIC_API_KEY}" }
  vllm: { type: vllm, base_url: sim://llama }
deployments:
  claude: { provider: anthropic, model: ${claudeModel}, capabilities: [tools, prefill] }
  llama: { provider: vllm, model: llama, capabilities: [tools, prefill] }
routes:
  llama: { targets: [llama] }
  llama-then-claude: { targets: [llama], fallbacks: [claude], retries: { same_deployment: 0 }, ${timeouts} }
  claude-then-llama: { targets: [claude], fallbacks: [llama], retries: { same_deployment: 0 }, ${timeouts} }
`;

const gw = useTestGateway(config, { ANTHROPIC_API_KEY: 'sk-ant-e2e-key' });
const anthropic = () => new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
const question = 'Tell me about rail yards at length.';

async function streamedText(model: string): Promise<{ text: string; events: string[] }> {
  const stream = await anthropic().messages.create({
    model,
    max_tokens: 200,
    messages: [{ role: 'user', content: question }],
    stream: true,
  });
  let text = '';
  const events: string[] = [];
  for await (const event of stream) {
    events.push(event.type);
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  }
  return { text, events };
}

describe('a front door stream broken after its first byte', () => {
  it('is finished on Anthropic by prefill when it was translated, and reads as one Messages stream', async () => {
    const reference = await streamedText('llama');
    gw.sim('llama').setFaults([{ type: 'cut', after_chunks: 8, count: 1 }]);
    const finished = await streamedText('llama-then-claude');
    expect(finished.text).toBe(reference.text);
    expect(finished.events[0]).toBe('message_start');
    expect(finished.events.filter((e) => e === 'message_start')).toHaveLength(1);
    expect(finished.events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    // The continuation went to Anthropic in the translation's shape: the partial answer as the final assistant turn.
    const sent = gw.sim('claude').recentRequests().at(-1)?.body as { messages: Array<{ role: string; content: unknown }> };
    expect(sent.messages.at(-1)).toEqual({ role: 'assistant', content: reference.text.split(' ').slice(0, 8).join(' ') });
  });

  it('ends with an error event when it was native: nothing else can continue Anthropic’s own events', async () => {
    gw.sim('claude').setFaults([{ type: 'cut', after_chunks: 8, count: 1 }]);
    const llamaBefore = gw.sim('llama').recentRequests().length;
    const error: unknown = await streamedText('claude-then-llama').then(
      () => undefined,
      (err: unknown) => err,
    );
    // The SDK read the gateway's error event (a connection cut would be an APIConnectionError instead).
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).not.toBeInstanceOf(Anthropic.APIConnectionError);
    expect((error as { error?: unknown }).error).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining("Upstream deployment 'claude' failed") as unknown },
    });
    expect(gw.sim('llama').recentRequests()).toHaveLength(llamaBefore);
  });
});
