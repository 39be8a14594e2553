/**
 * The spec validator itself (test/support/openapi.ts): its normalisation of the OpenAPI document
 * must accept what the spec allows (null where `nullable` says so) and still reject wrong data, or
 * every schema check elsewhere would pass vacuously.
 */
import { describe, expect, it } from 'vitest';
import { expectSchema, validateSchema } from '../support/openapi.js';

const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta: {}, ...choice }],
  ...extra,
});

const completion = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi', refusal: null, ...message }, logprobs: null, finish_reason: 'stop' }],
  ...extra,
});

describe('openapi validator', () => {
  it('accepts valid data, including nulls the spec marks nullable: true', () => {
    // finish_reason is `type: string, enum, nullable: true` in the spec; usage is `$ref + nullable`.
    expect(validateSchema('CreateChatCompletionStreamResponse', chunk({ finish_reason: null }, { usage: null }))).toEqual([]);
    expect(validateSchema('CreateChatCompletionStreamResponse', chunk({ finish_reason: 'stop', logprobs: null }))).toEqual([]);
    expect(validateSchema('CreateChatCompletionResponse', completion({}))).toEqual([]);
    expect(validateSchema('ErrorResponse', { error: { message: 'm', type: 't', param: null, code: null } })).toEqual([]);
  });

  it('still rejects values outside an enum made nullable, and wrong types behind a nullable $ref', () => {
    const errors = validateSchema('CreateChatCompletionStreamResponse', chunk({ finish_reason: 'done' }, { usage: 'lots' }));
    expect(errors.some((e) => e.startsWith('/choices/0/finish_reason') && e.includes('allowed values'))).toBe(true);
    expect(errors.some((e) => e.startsWith('/usage'))).toBe(true);
  });

  it('rejects missing required fields and wrong types through $refs', () => {
    const missing = validateSchema('CreateChatCompletionResponse', completion({ refusal: undefined }, { created: 'yesterday' }));
    expect(missing.some((e) => e.includes("'refusal'"))).toBe(true);
    expect(missing.some((e) => e.startsWith('/created'))).toBe(true);
    const badRole = validateSchema('CreateChatCompletionResponse', completion({ role: 'user' }));
    expect(badRole.some((e) => e.startsWith('/choices/0/message/role'))).toBe(true);
    const noUsage = validateSchema('CreateEmbeddingResponse', {
      object: 'list',
      model: 'm',
      data: [{ object: 'embedding', index: 0, embedding: ['x'] }],
    });
    expect(noUsage.some((e) => e.includes("'usage'"))).toBe(true);
    expect(noUsage.some((e) => e.startsWith('/data/0/embedding/0'))).toBe(true);
  });

  it("rejects vLLM's integer error code, which the OpenAI envelope does not allow", () => {
    const errors = validateSchema('ErrorResponse', { error: { message: 'm', type: 'NotFoundError', param: 'model', code: 404 } });
    expect(errors.some((e) => e.startsWith('/error/code'))).toBe(true);
    expect(() => expectSchema('ErrorResponse', { error: { message: 'm' } })).toThrow(/not a valid ErrorResponse/);
  });

  it('checks the models list and a model card', () => {
    expect(
      validateSchema('ListModelsResponse', { object: 'list', data: [{ id: 'a', object: 'model', created: 1, owned_by: 'me' }] }),
    ).toEqual([]);
    expect(validateSchema('Model', { id: 'a', object: 'model', created: 1 }).some((e) => e.includes("'owned_by'"))).toBe(true);
    expect(
      validateSchema('CreateCompletionResponse', {
        id: 'c',
        object: 'text_completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, text: 'x', logprobs: null, finish_reason: 'sideways' }],
      }),
    ).not.toEqual([]);
  });

  it('names an unknown schema instead of passing silently', () => {
    expect(() => validateSchema('NoSuchSchema', {})).toThrow(/no schema named 'NoSuchSchema'/);
  });
});
