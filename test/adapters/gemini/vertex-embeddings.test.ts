/**
 * Vertex AI embeddings through `:predict`: OpenAI's request as instances (one per input, in order),
 * `dimensions` as `outputDimensionality`, token ids refused before anything is sent; the predictions
 * back as OpenAI's list, floats or base64 float32, with usage summed from `token_count`; an error
 * inside a 200 classified as Google's.
 */
import { describe, expect, it } from 'vitest';
import { vertexAdapter } from '../../../adapters/gemini/vertex.js';
import type { VertexSettings } from '../../../adapters/gemini/vertex-settings.js';
import { base64ToFloats } from '../../../adapters/shared/float32-base64.js';
import type { ClientRequest, UpstreamTarget } from '../../../adapters/types.js';
import { UpstreamError } from '../../../adapters/upstream-error.js';

const target: UpstreamTarget<VertexSettings> = {
  deploymentId: 'v',
  model: 'text-embedding-005',
  provider: { id: 'v', type: 'vertex', headers: {}, project: 'my-project', location: 'europe-west4', access_token: 'ya29.t' },
};

const request = (body: Record<string, unknown>): ClientRequest => ({
  operation: 'embeddings',
  body: { model: 'embed', ...body },
  raw: Buffer.from(JSON.stringify(body)),
  stream: false,
  includeUsage: false,
});

const answer = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));

const predictions = {
  predictions: [
    { embeddings: { values: [0.5, -0.25], statistics: { token_count: 4, truncated: false } } },
    { embeddings: { values: [1, 0], statistics: { token_count: 2, truncated: false } } },
  ],
  metadata: { billableCharacterCount: 20 },
};

describe('vertex embeddings', () => {
  it('sends one instance per input to :predict, with dimensions as outputDimensionality', () => {
    const one = vertexAdapter.buildRequest(request({ input: 'rails', dimensions: 256 }), target);
    expect(one.method).toBe('POST');
    expect(one.path).toBe('/v1/projects/my-project/locations/europe-west4/publishers/google/models/text-embedding-005:predict');
    expect(one.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' });
    expect(JSON.parse(String(one.body))).toEqual({ instances: [{ content: 'rails' }], parameters: { outputDimensionality: 256 } });
    const many = vertexAdapter.buildRequest(request({ input: ['a', 'b', 'c'] }), target);
    expect(JSON.parse(String(many.body))).toEqual({ instances: [{ content: 'a' }, { content: 'b' }, { content: 'c' }] });
  });

  it('refuses token ids, mixed lists and an empty list as the client’s 400, before sending', () => {
    for (const input of [[1, 2, 3], [[1, 2]], ['a', 1], [], undefined]) {
      const err = (() => {
        try {
          vertexAdapter.buildRequest(request({ input }), target);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).toMatchObject({ kind: 'bad_request', status: 400, param: 'input' });
    }
  });

  it('answers OpenAI’s list with floats and usage summed from token_count', () => {
    const out = vertexAdapter.translateResponse(request({ input: ['a', 'b'], encoding_format: 'float' }), answer(predictions), target);
    expect(JSON.parse(out.body)).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -0.25] },
        { object: 'embedding', index: 1, embedding: [1, 0] },
      ],
      model: 'text-embedding-005',
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    expect(out.usage).toEqual({ promptTokens: 6, completionTokens: 0, totalTokens: 6 });
  });

  it('encodes base64 float32 when asked, decoding to the same numbers', () => {
    const out = vertexAdapter.translateResponse(request({ input: ['a', 'b'], encoding_format: 'base64' }), answer(predictions), target);
    const data = (JSON.parse(out.body) as { data: Array<{ embedding: string }> }).data;
    expect(data.map((d) => base64ToFloats(d.embedding))).toEqual([
      [0.5, -0.25],
      [1, 0],
    ]);
  });

  it('a 200 without predictions, without values, or with an error object is an upstream failure', () => {
    const req = request({ input: 'a' });
    expect(() => vertexAdapter.translateResponse(req, answer({ predictions: [] }), target)).toThrow(UpstreamError);
    expect(() => vertexAdapter.translateResponse(req, answer({ predictions: [{ embeddings: { values: ['x'] } }] }), target)).toThrow(
      /numeric values/,
    );
    const err = (() => {
      try {
        vertexAdapter.translateResponse(
          req,
          answer({ error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } }),
          target,
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ kind: 'rate_limited' });
  });

  it('classifies Google’s 400 for a malformed :predict as the client’s bad request', () => {
    const info = vertexAdapter.classifyError(
      400,
      JSON.stringify({ error: { code: 400, message: 'Invalid argument: instances must not be empty.', status: 'INVALID_ARGUMENT' } }),
      {},
    );
    expect(info).toMatchObject({ kind: 'bad_request', status: 400, code: 'INVALID_ARGUMENT' });
  });
});
