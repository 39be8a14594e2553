import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../../adapters/index.js';
import { openAICompatibleKinds } from '../../../adapters/openai-compatible/index.js';
import { providerSettingsOf } from '../../../adapters/provider-settings.js';
import type { ClientRequest, Operation, UpstreamTarget } from '../../../adapters/types.js';

function clientRequest(body: Record<string, unknown>, operation: Operation = 'chat'): ClientRequest {
  const raw = Buffer.from(JSON.stringify(body));
  const options = body['stream_options'] as { include_usage?: boolean } | undefined;
  return {
    operation,
    body: Object.freeze(JSON.parse(raw.toString())),
    raw,
    stream: body['stream'] === true,
    includeUsage: options?.include_usage === true,
  };
}

/** A target whose provider is built as the runtime builds it from a parsed config entry. */
function target(type: string, model = 'served-model', apiKey?: string, headers: Record<string, string> = {}): UpstreamTarget {
  return { deploymentId: 'd', model, provider: providerSettingsOf('p', { type, headers, ...(apiKey ? { api_key: apiKey } : {}) }) };
}

const familyTypes = Object.keys(openAICompatibleKinds);

const messages = [{ role: 'user', content: 'hi' }];
const bodyOf = (b: string | Buffer | undefined): Record<string, unknown> => JSON.parse(String(b)) as Record<string, unknown>;

describe('buildRequest', () => {
  it('registers exactly the seven provider types', () => {
    expect(familyTypes.sort()).toEqual(['llamacpp', 'ollama', 'openai', 'openai-compatible', 'sglang', 'tgi', 'vllm']);
  });

  it('sends the client bytes themselves when nothing changes (fast path)', () => {
    for (const type of familyTypes) {
      const req = clientRequest({ model: 'served-model', messages, temperature: 0.2 });
      expect(adapterFor(type).buildRequest(req, target(type)).body, type).toBe(req.raw);
    }
  });

  it('re-serialises once with the target model when the client named a route', () => {
    const req = clientRequest({
      model: 'chat',
      messages,
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: 'auto',
      n: 2,
      seed: 7,
      user: 'u',
      logit_bias: { '50256': -100 },
      vendor_field: { x: 1 },
    });
    const out = adapterFor('vllm').buildRequest(req, target('vllm', 'meta-llama/Llama-3.1-8B-Instruct'));
    expect(bodyOf(out.body)).toEqual({ ...req.body, model: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(req.body['model']).toBe('chat'); // never mutated
  });

  it('uses the operation paths', () => {
    const vllm = adapterFor('vllm');
    expect(vllm.buildRequest(clientRequest({ model: 'm', messages }), target('vllm')).path).toBe('/chat/completions');
    expect(vllm.buildRequest(clientRequest({ model: 'm', prompt: 'x' }, 'completions'), target('vllm')).path).toBe('/completions');
    expect(vllm.buildRequest(clientRequest({ model: 'm', input: 'x' }, 'embeddings'), target('vllm')).path).toBe('/embeddings');
  });

  it('builds headers from the provider only, never from the client; the key is not translation', () => {
    const openai = adapterFor('openai');
    const to = target('openai', 'served-model', 'sk-test', { 'OpenAI-Organization': 'org-1' });
    const built = openai.buildRequest(clientRequest({ model: 'served-model', messages }), to);
    expect(built.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json', 'openai-organization': 'org-1' });
    const stream = adapterFor('vllm').buildRequest(clientRequest({ model: 'm', messages, stream: true }), target('vllm'));
    expect(stream.headers).toEqual({ 'content-type': 'application/json', accept: 'text/event-stream' });
  });

  it('authorize adds the key as a bearer to the final request, and nothing without a key', async () => {
    for (const type of familyTypes) {
      const adapter = adapterFor(type);
      const to = target(type, 'served-model', 'sk-test', { 'OpenAI-Organization': 'org-1' });
      const built = adapter.buildRequest(clientRequest({ model: 'served-model', messages }), to);
      const sent = await adapter.authorize!(built, to);
      expect(sent.headers, type).toEqual({
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: 'Bearer sk-test',
        'openai-organization': 'org-1',
      });
      expect(sent.body, type).toBe(built.body);
      const keyless = adapter.buildRequest(clientRequest({ model: 'served-model', messages }), target(type));
      expect((await adapter.authorize!(keyless, target(type))).headers['authorization'], type).toBeUndefined();
    }
  });

  it('lets a configured Authorization header replace the bearer key instead of doubling it', async () => {
    const adapter = adapterFor('openai-compatible');
    const to = target('openai-compatible', 'served-model', 'k', { Authorization: 'Token abc' });
    const out = await adapter.authorize!(adapter.buildRequest(clientRequest({ model: 'served-model', messages }), to), to);
    expect(out.headers['authorization']).toBe('Token abc');
    expect(Object.keys(out.headers).filter((h) => h.toLowerCase() === 'authorization')).toHaveLength(1);
  });

  it('always asks a stream for usage, keeping the client stream_options', () => {
    const req = clientRequest({ model: 'served-model', messages, stream: true, stream_options: { include_obfuscation: false } });
    const out = adapterFor('openai').buildRequest(req, target('openai'));
    expect(bodyOf(out.body)['stream_options']).toEqual({ include_obfuscation: false, include_usage: true });
    expect(req.body['stream_options']).toEqual({ include_obfuscation: false });
  });

  it('keeps the fast path for a stream that already asks for usage', () => {
    const req = clientRequest({ model: 'served-model', messages, stream: true, stream_options: { include_usage: true } });
    expect(adapterFor('vllm').buildRequest(req, target('vllm')).body).toBe(req.raw);
  });

  it('TGI: a bare stop string becomes an array; max_completion_tokens becomes max_tokens', () => {
    const req = clientRequest({ model: 'served-model', messages, stop: '\n\n', max_completion_tokens: 64, max_tokens: 10 });
    expect(bodyOf(adapterFor('tgi').buildRequest(req, target('tgi')).body)).toEqual({
      model: 'served-model',
      messages,
      stop: ['\n\n'],
      max_tokens: 64,
    });
    const arrays = clientRequest({ model: 'served-model', messages, stop: ['a'] });
    expect(adapterFor('tgi').buildRequest(arrays, target('tgi')).body).toBe(arrays.raw);
  });

  it.each([
    ['llamacpp', true],
    ['ollama', true],
    ['tgi', true],
    ['vllm', false],
    ['sglang', false],
    ['openai', false],
    ['openai-compatible', false],
  ])('%s renames max_completion_tokens: %s', (type, renamed) => {
    const req = clientRequest({ model: 'served-model', messages, max_completion_tokens: 32 });
    const sent = bodyOf(adapterFor(type).buildRequest(req, target(type)).body);
    expect(sent['max_tokens']).toBe(renamed ? 32 : undefined);
    expect(sent['max_completion_tokens']).toBe(renamed ? undefined : 32);
  });

  it.each([
    ['openai', 'base64'],
    ['vllm', 'base64'],
    ['sglang', 'base64'],
    ['tgi', 'float'],
    ['llamacpp', 'float'],
    ['ollama', 'float'],
    ['openai-compatible', 'float'],
  ])('%s: a base64 embeddings request asks upstream for %s', (type, format) => {
    const req = clientRequest({ model: 'served-model', input: ['a'], encoding_format: 'base64' }, 'embeddings');
    const out = adapterFor(type).buildRequest(req, target(type));
    expect(bodyOf(out.body)['encoding_format']).toBe(format);
    if (format === 'base64') expect(out.body).toBe(req.raw);
  });

  it('declares the operations each server serves (TGI has no embeddings)', () => {
    expect([...adapterFor('tgi').operations].sort()).toEqual(['chat', 'completions']);
    expect([...adapterFor('vllm').operations].sort()).toEqual(['chat', 'completions', 'embeddings']);
  });

  it('probes self-hosted servers with GET /models and leaves OpenAI alone', () => {
    expect(adapterFor('vllm').healthPath).toBe('/models');
    expect(adapterFor('openai').healthPath).toBeUndefined();
  });
});
