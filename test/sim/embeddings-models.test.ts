/**
 * Embeddings (deterministic unit vectors, float and base64 decoding to the same numbers), the models
 * endpoints, the API key check and the openai kind's error envelope, through the SDK and raw fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { expectSchema } from '../support/openapi.js';
import { chatRequest, post, type ErrorBody } from './helpers.js';

const KEY = 'sk-sim-test-key';
let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'openai', model: 'text-embedding-3-small', ttftMs: 1, tpotMs: 0, apiKey: KEY });
  client = new OpenAI({ baseURL: sim.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await sim?.close();
});

const auth = { authorization: `Bearer ${KEY}` };
const norm = (v: readonly number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('embeddings', () => {
  it('returns the same unit vectors as floats and as base64 (the SDK default)', async () => {
    const input = ['the quick brown fox', 'jumps over the lazy dog'];
    const asFloat = await client.embeddings.create({ model: 'text-embedding-3-small', input, encoding_format: 'float' });
    expectSchema('CreateEmbeddingResponse', JSON.parse(JSON.stringify(asFloat)));
    const viaDefault = await client.embeddings.create({ model: 'text-embedding-3-small', input });
    expect(asFloat.data).toHaveLength(2);
    asFloat.data.forEach((d, i) => {
      expect(d.index).toBe(i);
      expect(d.embedding).toHaveLength(16);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
      expect(viaDefault.data[i]!.embedding).toEqual(d.embedding);
    });
    expect(asFloat.data[0]!.embedding).not.toEqual(asFloat.data[1]!.embedding);
    expect(asFloat.usage).toEqual({ prompt_tokens: 11, total_tokens: 11 });
  });

  it('sends base64 of little-endian float32 when asked, and honours dimensions', async () => {
    const res = await post(
      sim,
      '/embeddings',
      { model: 'text-embedding-3-small', input: 'hello', encoding_format: 'base64', dimensions: 8 },
      { headers: auth },
    );
    const body = (await res.json()) as { data: Array<{ embedding: string }> };
    expectSchema('CreateEmbeddingResponse', { ...body, data: body.data.map((d) => ({ ...d, embedding: [] })) });
    const bytes = Buffer.from(body.data[0]!.embedding, 'base64');
    const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toHaveLength(8);
    const again = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hello',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(again.data[0]!.embedding).toEqual(decoded);
  });

  it('accepts token arrays and rejects a malformed input with a 400 envelope', async () => {
    const tokens = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      encoding_format: 'float',
    });
    expect(tokens.usage.prompt_tokens).toBe(5);
    const bad = await post(sim, '/embeddings', { model: 'text-embedding-3-small', input: [1, 'x'] }, { headers: auth });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as ErrorBody;
    expectSchema('ErrorResponse', body);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'input' });
  });
});

describe('models', () => {
  it('lists and retrieves the served model; an unknown one is a 404 model_not_found', async () => {
    const raw = await (await fetch(`${sim.url}/models`, { headers: auth })).json();
    expectSchema('ListModelsResponse', raw);
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['text-embedding-3-small']);
    const one = await client.models.retrieve('text-embedding-3-small');
    expectSchema('Model', JSON.parse(JSON.stringify(one)));
    expect(one.owned_by).toBe('system');
    await expect(client.models.retrieve('gpt-5')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('404s a chat request for another model in the openai format', async () => {
    const res = await post(sim, '/chat/completions', chatRequest('gpt-5'), { headers: auth });
    expect(res.status).toBe(404);
    const body = await res.json();
    expectSchema('ErrorResponse', body);
    expect(body).toEqual({
      error: {
        message: 'The model `gpt-5` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    });
  });
});

describe('authentication and errors', () => {
  it('401s /v1 requests without the key, in the openai format, and leaves /health open', async () => {
    const wrong = new OpenAI({ baseURL: sim.url, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const res = await fetch(`${sim.url}/models`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorBody;
    expectSchema('ErrorResponse', body);
    expect(body.error.code).toBe('invalid_api_key');
    expect(JSON.stringify(body)).not.toContain(KEY);
    const health = await fetch(`${sim.origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
  });

  it('answers bad JSON with 400, unknown paths with 404, and has no /metrics', async () => {
    const bad = await post(sim, '/chat/completions', 'not json', { headers: auth });
    expect(bad.status).toBe(400);
    expectSchema('ErrorResponse', await bad.json());
    const unknown = await fetch(`${sim.url}/assistants`, { headers: auth });
    expect(unknown.status).toBe(404);
    expectSchema('ErrorResponse', await unknown.json());
    expect((await fetch(`${sim.origin}/metrics`)).status).toBe(404);
    const invalid = await post(sim, '/chat/completions', { model: 'text-embedding-3-small', messages: [] }, { headers: auth });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ErrorBody).error.param).toBe('messages');
  });
});
