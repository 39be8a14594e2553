/** The context window each provider states in its context-length error, and what is not a window. */
import { describe, expect, it } from 'vitest';
import { contextWindowFromField, contextWindowFromMessage } from '../../../adapters/shared/context-window.js';

describe('contextWindowFromMessage', () => {
  it.each<[string, string, number]>([
    [
      'OpenAI',
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
      8192,
    ],
    [
      'OpenAI, with a completion',
      "This model's maximum context length is 128000 tokens. However, you requested 130000 tokens (129000 in the messages, 1000 in the completion).",
      128000,
    ],
    [
      'vLLM (input too long)',
      "This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens. Please reduce the length of the input messages.",
      4096,
    ],
    [
      'vLLM (max_tokens too large)',
      "'max_tokens' or 'max_completion_tokens' is too large: 1000. This model's maximum context length is 2048 tokens and your request has 1500 input tokens (1000 > 2048 - 1500).",
      2048,
    ],
    [
      'vLLM engine',
      'The prompt (total length 25938) is too long to fit into the model (context length 4096). Make sure that `max_model_len` is no smaller than the number of text tokens.',
      4096,
    ],
    ['vLLM V1 engine', 'The decoder prompt (length 5000) is longer than the maximum model length of 4096. Make sure that…', 4096],
    ['SGLang', "The input (9000 tokens) is longer than the model's context length (8192 tokens).", 8192],
    [
      'TGI',
      'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`',
      4096,
    ],
    ['TGI (older, max input length)', 'Input validation error: `inputs` must have less than 1024 tokens. Given: 1500', 1024],
    ['Anthropic', 'prompt is too long: 210000 tokens > 200000 maximum', 200000],
    ['thousands separators', "This model's maximum context length is 128,000 tokens.", 128000],
  ])('%s', (_name, message, window) => {
    expect(contextWindowFromMessage(message)).toBe(window);
  });

  it.each<[string, string | undefined]>([
    ['llama.cpp (the window is in n_ctx, not the message)', 'the request exceeds the available context size, try increasing it'],
    ['Ollama', 'input exceeds maximum context length'],
    ['a request count alone', 'However, you requested 9000 tokens'],
    ['an implausible figure', "This model's maximum context length is 3 tokens."],
    ['no message', undefined],
  ])('states no window: %s', (_name, message) => {
    expect(contextWindowFromMessage(message)).toBeUndefined();
  });
});

describe('contextWindowFromField', () => {
  it("takes llama.cpp's n_ctx when it is a plausible window", () => {
    expect(contextWindowFromField(4096)).toBe(4096);
    expect(contextWindowFromField('4096')).toBeUndefined();
    expect(contextWindowFromField(4096.5)).toBeUndefined();
    expect(contextWindowFromField(0)).toBeUndefined();
  });
});
