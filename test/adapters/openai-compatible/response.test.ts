import { describe, expect, it } from 'vitest';
import { translateResponse } from '../../../adapters/openai-compatible/response.js';
import type { ClientRequest, Operation, UpstreamTarget } from '../../../adapters/types.js';
import { UpstreamError } from '../../../adapters/upstream-error.js';
import { floatsToBase64 } from '../../../adapters/shared/float32-base64.js';

const target: UpstreamTarget = { deploymentId: 'd', model: 'served', provider: { id: 'p', type: 'vllm', headers: {} } };

function req(operation: Operation, body: Record<string, unknown> = {}): ClientRequest {
  const full = { model: 'route', ...body };
  return { operation, body: full, raw: Buffer.from(JSON.stringify(full)), stream: false, includeUsage: false };
}

const run = (operation: Operation, upstream: unknown, body: Record<string, unknown> = {}) =>
  translateResponse(req(operation, body), Buffer.from(typeof upstream === 'string' ? upstream : JSON.stringify(upstream)), target);
const parsed = (operation: Operation, upstream: unknown, body: Record<string, unknown> = {}): Record<string, unknown> =>
  JSON.parse(run(operation, upstream, body).body) as Record<string, unknown>;

function thrown(fn: () => unknown): UpstreamError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error('expected an UpstreamError');
}

const chat = (choice: Record<string, unknown>): Record<string, unknown> => ({
  id: 'x',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [choice],
});

describe('translateResponse', () => {
  it('returns the upstream text itself when nothing needs repair', () => {
    const text = JSON.stringify(
      chat({ index: 0, message: { role: 'assistant', content: 'hi', refusal: null }, logprobs: null, finish_reason: 'stop' }),
    );
    expect(run('chat', text).body).toBe(text);
  });

  it.each([
    ['not JSON', '<html>oops</html>'],
    ['a JSON array', '[1,2]'],
    ['empty', ''],
    ['choices: null', { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: null }],
    ['no choices', { id: 'x', object: 'chat.completion', created: 1, model: 'm' }],
    ['a choice that is not an object', { id: 'x', created: 1, model: 'm', choices: ['hi'] }],
    ['finish_reason abort', chat({ index: 0, message: { role: 'assistant', content: 'h' }, finish_reason: 'abort' })],
  ])('treats %s as an upstream server failure', (_name, upstream) => {
    const err = thrown(() => run('chat', upstream));
    expect(err.kind).toBe('server');
    expect(err.retryable).toBe(true);
  });

  it('classifies an error envelope sent with a 2xx status', () => {
    const err = thrown(() => run('chat', { error: { message: "This model's maximum context length is 4096 tokens", code: 400 } }));
    expect(err.kind).toBe('context_length');
    expect(err.code).toBe('400');
  });

  it('maps unknown finish reasons to stop and fills a missing one', () => {
    expect(
      (
        parsed('chat', chat({ index: 0, message: { content: 'h' }, finish_reason: 'eos_token' }))['choices'] as Array<
          Record<string, unknown>
        >
      )[0]!['finish_reason'],
    ).toBe('stop');
    expect(
      (parsed('chat', chat({ index: 0, message: { content: 'h' }, finish_reason: null }))['choices'] as Array<Record<string, unknown>>)[0]![
        'finish_reason'
      ],
    ).toBe('stop');
    expect(
      (
        parsed('completions', { id: 'c', created: 1, model: 'm', choices: [{ text: 'x', finish_reason: 'tool_calls' }] })[
          'choices'
        ] as Array<Record<string, unknown>>
      )[0]!['finish_reason'],
    ).toBe('stop');
  });

  it('fills required keys and removes nulls the spec does not allow', () => {
    const doc = parsed('chat', {
      choices: [{ message: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 2, prompt_tokens_details: null },
      system_fingerprint: null,
    });
    expect(doc['object']).toBe('chat.completion');
    expect(doc['id']).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(Number.isInteger(doc['created'])).toBe(true);
    expect(doc['model']).toBe('served');
    expect(doc['choices']).toEqual([
      { index: 0, logprobs: null, finish_reason: 'stop', message: { role: 'assistant', content: null, refusal: null } },
    ]);
    expect(doc['usage']).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect('system_fingerprint' in doc).toBe(false);
  });

  it('completes tool calls: type, string arguments (serialising an object)', () => {
    const doc = parsed(
      'chat',
      chat({
        index: 0,
        message: {
          role: 'assistant',
          tool_calls: [
            { id: '0', function: { name: 'f', arguments: { a: 1 } } },
            { id: '1', type: 'function', function: { name: 'g' } },
          ],
        },
        finish_reason: 'tool_calls',
      }),
    );
    const message = (doc['choices'] as Array<{ message: { tool_calls: unknown[] } }>)[0]!.message;
    expect(message.tool_calls).toEqual([
      { id: '0', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
      { id: '1', type: 'function', function: { name: 'g', arguments: '' } },
    ]);
  });

  it('renames reasoning to reasoning_content and keeps an existing reasoning_content', () => {
    const one = parsed('chat', chat({ index: 0, message: { role: 'assistant', content: 'a', reasoning: 'think' }, finish_reason: 'stop' }));
    expect((one['choices'] as Array<{ message: Record<string, unknown> }>)[0]!.message).toEqual({
      role: 'assistant',
      content: 'a',
      refusal: null,
      reasoning_content: 'think',
    });
    const both = parsed(
      'chat',
      chat({ index: 0, message: { role: 'assistant', content: 'a', reasoning: 'x', reasoning_content: 'think' }, finish_reason: 'stop' }),
    );
    expect((both['choices'] as Array<{ message: Record<string, unknown> }>)[0]!.message['reasoning_content']).toBe('think');
  });

  it('reports usage and the model that answered', () => {
    const out = run('chat', {
      ...chat({ index: 0, message: { content: 'h' }, finish_reason: 'stop' }),
      model: 'answered-by',
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
    });
    expect(out.model).toBe('answered-by');
    expect(out.usage).toEqual({ promptTokens: 10, completionTokens: 5, totalTokens: 15, cachedTokens: 4 });
  });

  describe('embeddings', () => {
    const floats = [0.1, -0.25, 3.5];
    const upstream = (embedding: unknown): Record<string, unknown> => ({
      object: 'list',
      model: 'e',
      data: [{ object: 'embedding', index: 0, embedding }],
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    const vector = (doc: Record<string, unknown>): unknown => (doc['data'] as Array<{ embedding: unknown }>)[0]!.embedding;

    it('a base64 answer decodes to the same floats as a float answer (float32 precision)', () => {
      const asBase64 = vector(parsed('embeddings', upstream(floats), { encoding_format: 'base64' })) as string;
      const bytes = Buffer.from(asBase64, 'base64');
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))).toEqual(floats.map(Math.fround));
    });

    it('decodes base64 for a client that asked floats or did not say', () => {
      expect(vector(parsed('embeddings', upstream(floatsToBase64(floats)), { encoding_format: 'float' }))).toEqual(floats.map(Math.fround));
      expect(vector(parsed('embeddings', upstream(floatsToBase64(floats))))).toEqual(floats.map(Math.fround));
    });

    it('passes floats through for a client that did not say', () => {
      const text = JSON.stringify(upstream(floats));
      expect(run('embeddings', text).body).toBe(text);
    });

    it('rejects vectors it cannot convert', () => {
      expect(thrown(() => run('embeddings', upstream('AAA='), {})).kind).toBe('server');
      expect(thrown(() => run('embeddings', upstream([1, 'x']), { encoding_format: 'base64' })).kind).toBe('server');
      expect(thrown(() => run('embeddings', { object: 'list', data: null })).kind).toBe('server');
    });

    it('fills a missing usage for the client but reports none to the gateway', () => {
      const out = run('embeddings', { object: 'list', model: 'e', data: [{ object: 'embedding', index: 0, embedding: floats }] });
      expect((JSON.parse(out.body) as Record<string, unknown>)['usage']).toEqual({ prompt_tokens: 0, total_tokens: 0 });
      expect(out.usage).toBeUndefined();
    });
  });
});
