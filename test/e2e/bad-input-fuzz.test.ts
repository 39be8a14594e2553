/**
 * Bad input never breaks the gateway: random bodies (arbitrary JSON, valid requests with fields of
 * random types, random bytes) sent to each endpoint get either an answer or an OpenAI-shaped 4xx error
 * that names what is wrong — never a 5xx, a hang, or a body that is not JSON.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expectSchema } from '../support/openapi.js';
import { demoConfig, useTestGateway } from '../support/gateway.js';

const gw = useTestGateway(demoConfig());

const endpoints = {
  '/chat/completions': { model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 },
  '/completions': { model: 'chat', prompt: 'hi', max_tokens: 4 },
  '/embeddings': { model: 'embed', input: 'hi' },
} as const;

/** Fields the OpenAI API knows, so that random values reach the validators' deeper branches. */
const knownFields = [
  'model',
  'messages',
  'prompt',
  'input',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'stop',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'response_format',
  'logprobs',
  'top_logprobs',
  'encoding_format',
  'dimensions',
  'seed',
  'user',
];

/** Sends a body; checks the answer is a success or an OpenAI-shaped client error; returns the status. */
async function send(path: string, body: string | Uint8Array): Promise<number> {
  const res = await fetch(`${gw.baseURL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  if (res.status !== 200) {
    const json = JSON.parse(text) as { error: { message: string } };
    expectSchema('ErrorResponse', json);
    expect(json.error.message.length).toBeGreaterThan(10);
  }
  return res.status;
}

function refused(status: number): void {
  expect(status).toBeGreaterThanOrEqual(400);
}

describe.each(Object.entries(endpoints))('POST %s with bad input', (path, valid) => {
  it('answers arbitrary JSON with a 4xx error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        refused(await send(path, JSON.stringify(value)));
      }),
      { numRuns: 60 },
    );
  });

  it('answers a valid request with one field of a random type, without a 5xx', async () => {
    const mutation = fc.record({ field: fc.constantFrom(...knownFields), value: fc.jsonValue({ maxDepth: 3 }) });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ field, value }) => {
        await send(path, JSON.stringify({ ...valid, stream: false, [field]: value }));
      }),
      { numRuns: 120 },
    );
  });

  it('answers random bytes with a 4xx error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        refused(await send(path, bytes));
      }),
      { numRuns: 40 },
    );
  });
});
