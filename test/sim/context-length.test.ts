/** maxModelLen: a prompt (plus max_tokens) longer than it gets the kind's own context-length 400, before any fault. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { post, type ErrorBody } from './helpers.js';

let vllm: RunningSimulator;
let openai: RunningSimulator;
beforeAll(async () => {
  vllm = await startSimulator({ kind: 'vllm', model: 'llama', ttftMs: 0, tpotMs: 0, maxModelLen: 100 });
  openai = await startSimulator({ kind: 'openai', model: 'gpt', ttftMs: 0, tpotMs: 0, maxModelLen: 100 });
});
afterAll(async () => {
  await Promise.all([vllm?.close(), openai?.close()]);
});

/** 200 tokens by the simulator's count (four characters a token). */
const long = { role: 'user', content: 'x'.repeat(800) };

describe('context length', () => {
  it("vllm: the prompt alone, in vLLM's words and format", async () => {
    vllm.setFaults([{ type: 'error', status: 503 }]);
    const res = await post(vllm, '/chat/completions', { model: 'llama', messages: [long] });
    vllm.clearFaults();
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message:
          "This model's maximum context length is 100 tokens. However, your request has 200 input tokens. Please reduce the length of the input messages.",
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    });
  });

  it('vllm: a prompt that fits but not with its max_tokens; the model card advertises the limit', async () => {
    const res = await post(vllm, '/chat/completions', {
      model: 'llama',
      max_tokens: 90,
      messages: [{ role: 'user', content: 'x'.repeat(80) }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/^'max_tokens' or 'max_completion_tokens' is too large: 90\./);
    const card = (await (await fetch(`${vllm.url}/models/llama`)).json()) as { max_model_len: number };
    expect(card.max_model_len).toBe(100);
  });

  it("openai: OpenAI's context_length_exceeded", async () => {
    const res = await post(openai, '/chat/completions', { model: 'gpt', messages: [long] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' },
    });
  });

  it('answers a prompt that fits', async () => {
    const res = await post(vllm, '/chat/completions', { model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
  });
});
