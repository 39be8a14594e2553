import { describe, expect, it } from 'vitest';
import { openAICompatibleAdapters } from '../../../adapters/openai-compatible/index.js';
import type { ClientRequest, Operation, UpstreamTarget } from '../../../adapters/types.js';

function clientRequest(body: Record<string, unknown>, operation: Operation = 'chat'): ClientRequest {
  const raw = Buffer.from(JSON.stringify(body));
  const options = body['stream_options'] as { include_usage?: boolean } | undefined;
  return { operation, body: Object.freeze(JSON.parse(raw.toString())), raw, stream: body['stream'] === true, includeUsage: options?.include_usage === true };
}

function target(type: string, model = 'served-model', apiKey?: string, headers: Record<string, string> = {}): UpstreamTarget {
  return { deploymentId: 'd', model, provider: { id: 'p', type, headers, ...(apiKey ? { apiKey } : {}) } };
}

const messages = [{ role: 'user', content: 'hi' }];
const bodyOf = (b: string | Buffer | undefined): Record<string, unknown> => JSON.parse(String(b)) as Record<string, unknown>;

describe('buildRequest', () => {
  it('registers exactly the seven provider types', () => {
    expect(Object.keys(openAICompatibleAdapters).sort()).toEqual(['llamacpp', 'ollama', 'openai', 'openai-compatible', 'sglang', 'tgi', 'vllm']);
  });

  it('sends the client bytes themselves when nothing changes (fast path)', () => {
    for (const type of Object.keys(openAICompatibleAdapters)) {
      const req = clientRequest({ model: 'served-model', messages, temperature: 0.2 });
      expect(openAICompatibleAdapters[type]!.buildRequest(req, target(type)).body, type).toBe(req.raw);
    }
  });

  it('re-serialises once with the target model when the client named a route', () => {
    const req = clientRequest({ model: 'chat', messages, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'auto', n: 2, seed: 7, user: 'u', logit_bias: { '50256': -100 }, vendor_field: { x: 1 } });
    const out = openAICompatibleAdapters['vllm']!.buildRequest(req, target('vllm', 'meta-llama/Llama-3.1-8B-Instruct'));
    expect(bodyOf(out.body)).toEqual({ ...req.body, model: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(req.body['model']).toBe('chat'); // never mutated
  });

  it('uses the operation paths', () => {
    const vllm = openAICompatibleAdapters['vllm']!;
    expect(vllm.buildRequest(clientRequest({ model: 'm', messages }), target('vllm')).path).toBe('/chat/completions');
    expect(vllm.buildRequest(clientRequest({ model: 'm', prompt: 'x' }, 'completions'), target('vllm')).path).toBe('/completions');
    expect(vllm.buildRequest(clientRequest({ model: 'm', input: 'x' }, 'embeddings'), target('vllm')).path).toBe('/embeddings');
  });

  it('builds headers from the provider only, never from the client', () => {
    const out = openAICompatibleAdapters['openai']!.buildRequest(
      clientRequest({ model: 'served-model', messages }),
      target('openai', 'served-model', 'sk-test', { 'OpenAI-Organization': 'org-1' }),
    );
    expect(out.headers).toEqual({
      'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer sk-test', 'openai-organization': 'org-1',
    });
    const stream = openAICompatibleAdapters['vllm']!.buildRequest(clientRequest({ model: 'm', messages, stream: true }), target('vllm'));
    expect(stream.headers).toEqual({ 'content-type': 'application/json', accept: 'text/event-stream' });
  });

  it('lets a configured Authorization header replace the bearer key instead of doubling it', () => {
    const out = openAICompatibleAdapters['openai-compatible']!.buildRequest(
      clientRequest({ model: 'served-model', messages }), target('openai-compatible', 'served-model', 'k', { Authorization: 'Token abc' }),
    );
    expect(out.headers['authorization']).toBe('Token abc');
    expect(Object.keys(out.headers).filter((h) => h.toLowerCase() === 'authorization')).toHaveLength(1);
  });

  it('always asks a stream for usage, keeping the client stream_options', () => {
    const req = clientRequest({ model: 'served-model', messages, stream: true, stream_options: { include_obfuscation: false } });
    const out = openAICompatibleAdapters['openai']!.buildRequest(req, target('openai'));
    expect(bodyOf(out.body)['stream_options']).toEqual({ include_obfuscation: false, include_usage: true });
    expect(req.body['stream_options']).toEqual({ include_obfuscation: false });
  });

  it('keeps the fast path for a stream that already asks for usage', () => {
    const req = clientRequest({ model: 'served-model', messages, stream: true, stream_options: { include_usage: true } });
    expect(openAICompatibleAdapters['vllm']!.buildRequest(req, target('vllm')).body).toBe(req.raw);
  });

  it('TGI: a bare stop string becomes an array; max_completion_tokens becomes max_tokens', () => {
    const req = clientRequest({ model: 'served-model', messages, stop: '\n\n', max_completion_tokens: 64, max_tokens: 10 });
    expect(bodyOf(openAICompatibleAdapters['tgi']!.buildRequest(req, target('tgi')).body))
      .toEqual({ model: 'served-model', messages, stop: ['\n\n'], max_tokens: 64 });
    const arrays = clientRequest({ model: 'served-model', messages, stop: ['a'] });
    expect(openAICompatibleAdapters['tgi']!.buildRequest(arrays, target('tgi')).body).toBe(arrays.raw);
  });

  it.each([['llamacpp', true], ['ollama', true], ['tgi', true], ['vllm', false], ['sglang', false], ['openai', false], ['openai-compatible', false]])(
    '%s renames max_completion_tokens: %s', (type, renamed) => {
      const req = clientRequest({ model: 'served-model', messages, max_completion_tokens: 32 });
      const sent = bodyOf(openAICompatibleAdapters[type]!.buildRequest(req, target(type)).body);
      expect(sent['max_tokens']).toBe(renamed ? 32 : undefined);
      expect(sent['max_completion_tokens']).toBe(renamed ? undefined : 32);
    },
  );

  it.each([['openai', 'base64'], ['vllm', 'base64'], ['sglang', 'base64'], ['tgi', 'float'], ['llamacpp', 'float'], ['ollama', 'float'], ['openai-compatible', 'float']])(
    '%s: a base64 embeddings request asks upstream for %s', (type, format) => {
      const req = clientRequest({ model: 'served-model', input: ['a'], encoding_format: 'base64' }, 'embeddings');
      const out = openAICompatibleAdapters[type]!.buildRequest(req, target(type));
      expect(bodyOf(out.body)['encoding_format']).toBe(format);
      if (format === 'base64') expect(out.body).toBe(req.raw);
    },
  );

  it('declares the operations each server serves (TGI has no embeddings)', () => {
    expect([...openAICompatibleAdapters['tgi']!.operations].sort()).toEqual(['chat', 'completions']);
    expect([...openAICompatibleAdapters['vllm']!.operations].sort()).toEqual(['chat', 'completions', 'embeddings']);
  });

  it('probes self-hosted servers with GET /models and leaves OpenAI alone', () => {
    expect(openAICompatibleAdapters['vllm']!.healthPath).toBe('/models');
    expect(openAICompatibleAdapters['openai']!.healthPath).toBeUndefined();
  });
});
