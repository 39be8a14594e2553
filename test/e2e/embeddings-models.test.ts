/** Embeddings (floats and the SDK's default base64) and the models list, through the real gateway. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSchema } from '../support/openapi.js';
import { demoConfig, startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(demoConfig());
});
afterAll(async () => {
  await gw?.close(1000);
});

describe('embeddings', () => {
  it('returns the same vectors as floats and as base64 (the SDK default), schema-valid', async () => {
    const input = ['switchyard', 'gateway'];
    const asFloat = await gw.client().embeddings.create({ model: 'embed', input, encoding_format: 'float' });
    const viaDefault = await gw.client().embeddings.create({ model: 'embed', input });
    expectSchema('CreateEmbeddingResponse', asFloat);
    expect(asFloat.data).toHaveLength(2);
    expect(asFloat.data[0]!.embedding.length).toBeGreaterThan(0);
    viaDefault.data.forEach((d, i) => {
      const want = asFloat.data[i]!.embedding;
      expect(d.embedding).toHaveLength(want.length);
      d.embedding.forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 6));
    });
  });

  it('sends base64 on the wire when asked', async () => {
    const res = await fetch(`${gw.baseURL}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed', input: 'switchyard', encoding_format: 'base64' }),
    });
    const json = (await res.json()) as Record<string, any>;
    expect(typeof json.data[0].embedding).toBe('string');
    // The spec types `embedding` as number[] only; base64 responses carry little-endian float32 bytes.
    const bytes = Buffer.from(json.data[0].embedding, 'base64');
    const floats = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(floats.length).toBeGreaterThan(0);
    expectSchema('CreateEmbeddingResponse', { ...json, data: [{ ...json.data[0], embedding: floats }] });
  });

  it('refuses a chat route for embeddings with a 400 naming the model', async () => {
    await expect(gw.client().embeddings.create({ model: 'mini', input: 'x' })).rejects.toMatchObject({ status: 400, param: 'model' });
  });
});

describe('models', () => {
  it('lists the routes a client may call, in OpenAI list shape', async () => {
    const page = await gw.client().models.list();
    const ids = page.data.map((m) => m.id).sort();
    expect(ids).toEqual(['chat', 'embed', 'mini']);
    const res = await fetch(`${gw.baseURL}/models`);
    expectSchema('ListModelsResponse', await res.json());
  });

  it('retrieves one model and 404s an unknown one with the envelope', async () => {
    const m = await gw.client().models.retrieve('chat');
    expectSchema('Model', m);
    expect(m.id).toBe('chat');
    await expect(gw.client().models.retrieve('nope')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });
});
