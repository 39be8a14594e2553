/**
 * classifyError reports the window a context-length error states (UpstreamErrorInfo.contextWindow), in
 * each OpenAI-compatible server's body format; other kinds never carry one.
 */
import { describe, expect, it } from 'vitest';
import { classifyError, classifyErrorPayload } from '../../../adapters/openai-compatible/errors.js';

const json = (v: unknown): string => JSON.stringify(v);

describe('classifyError: the stated context window', () => {
  it.each<[string, number, string, number | undefined]>([
    [
      'OpenAI',
      400,
      json({
        error: {
          message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      }),
      8192,
    ],
    [
      'vLLM (integer code)',
      400,
      json({
        error: {
          message: "This model's maximum context length is 1000 tokens. However, your request has 2000 input tokens.",
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      }),
      1000,
    ],
    [
      'vLLM V1 engine',
      400,
      json({ error: { message: 'The decoder prompt (length 5000) is longer than the maximum model length of 4096.', code: 400 } }),
      4096,
    ],
    [
      'SGLang (flat body)',
      400,
      json({ object: 'error', message: "The input (9000 tokens) is longer than the model's context length (8192 tokens).", code: 400 }),
      8192,
    ],
    [
      'TGI 422',
      422,
      json({
        error:
          'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`',
        error_type: 'validation',
      }),
      4096,
    ],
    [
      'llama.cpp (n_ctx beside the message)',
      400,
      json({
        error: {
          code: 400,
          message: 'the request exceeds the available context size, try increasing it',
          type: 'exceed_context_size_error',
          n_prompt_tokens: 5000,
          n_ctx: 4096,
        },
      }),
      4096,
    ],
    [
      'llama.cpp (older, no n_ctx)',
      400,
      json({ error: { code: 400, message: 'the request exceeds the available context size', type: 'exceed_context_size_error' } }),
      undefined,
    ],
    ['Ollama (states no number)', 400, json({ error: 'input exceeds maximum context length' }), undefined],
  ])('%s', (_name, status, body, window) => {
    const info = classifyError(status, body, {});
    expect(info.kind).toBe('context_length');
    expect(info.contextWindow).toBe(window);
  });

  it('never on another kind, even when the message names a length', () => {
    const info = classifyError(500, json({ error: { message: "This model's maximum context length is 8192 tokens.", code: 500 } }), {});
    expect(info.kind).toBe('server');
    expect(info.contextWindow).toBeUndefined();
  });

  it('in an error payload inside a 2xx answer (an SSE error event that states its status)', () => {
    const info = classifyErrorPayload({
      error: { message: "This model's maximum context length is 2048 tokens.", http_status_code: 400, code: 'context_length_exceeded' },
    });
    expect(info).toMatchObject({ kind: 'context_length', contextWindow: 2048 });
  });
});
