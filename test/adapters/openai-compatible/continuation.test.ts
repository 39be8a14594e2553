/** Continuing an assistant answer (prefill): in the server's style, only where it has one, with the cap reduced. */
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../../adapters/index.js';
import { providerSettingsOf } from '../../../adapters/provider-settings.js';
import type { ClientRequest, UpstreamTarget } from '../../../adapters/types.js';

const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 50, temperature: 0 };
const req: ClientRequest = { operation: 'chat', body, raw: Buffer.from(JSON.stringify(body)), stream: true, includeUsage: false };
const target = (type: string, prefill?: string): UpstreamTarget => ({
  deploymentId: 'd',
  model: 'llama',
  provider: providerSettingsOf('p', { type, headers: {}, api_key: 'sk-x-12345678', ...(prefill ? { prefill } : {}) }),
});
const progress = { text: 'Hello wor', contentChunks: 3, continuable: true };

describe('buildContinuation', () => {
  it('vLLM and SGLang continue the final assistant message', async () => {
    for (const type of ['vllm', 'sglang']) {
      const adapter = adapterFor(type);
      const http = adapter.buildContinuation!(req, progress, target(type))!;
      const sent = JSON.parse(String(http.body));
      expect(sent).toMatchObject({
        model: 'llama',
        continue_final_message: true,
        add_generation_prompt: false,
        max_tokens: 47,
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(sent.messages).toEqual([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello wor' },
      ]);
      // Credentials come from the same authorize step as any request (the executor applies it).
      expect(http.headers.authorization).toBeUndefined();
      expect((await adapter.authorize!(http, target(type))).headers.authorization).toBe('Bearer sk-x-12345678');
      expect(body.messages).toHaveLength(1);
    }
  });

  it('last_assistant sends the partial answer as a plain final assistant message, on any type that sets it', () => {
    for (const type of ['openai-compatible', 'llamacpp', 'vllm']) {
      const sent = JSON.parse(String(adapterFor(type).buildContinuation!(req, progress, target(type, 'last_assistant'))!.body));
      expect(sent.messages.at(-1)).toEqual({ role: 'assistant', content: 'Hello wor' });
      expect(sent.continue_final_message).toBeUndefined();
      expect(sent.add_generation_prompt).toBeUndefined();
      expect(sent.max_tokens).toBe(47);
    }
  });

  it('prefix_flag marks the final assistant message with prefix: true', () => {
    const sent = JSON.parse(String(adapterFor('openai').buildContinuation!(req, progress, target('openai', 'prefix_flag'))!.body));
    expect(sent.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello wor', prefix: true },
    ]);
    expect(sent.continue_final_message).toBeUndefined();
    expect(sent).toMatchObject({ model: 'llama', max_tokens: 47, stream: true });
  });

  it('other servers cannot without a prefill setting, and nothing continues a tool call or a finished answer', () => {
    for (const type of ['openai', 'openai-compatible', 'tgi', 'llamacpp', 'ollama']) {
      expect(adapterFor(type).buildContinuation!(req, progress, target(type))).toBeUndefined();
    }
    expect(adapterFor('vllm').buildContinuation!(req, { ...progress, continuable: false }, target('vllm'))).toBeUndefined();
  });
});
