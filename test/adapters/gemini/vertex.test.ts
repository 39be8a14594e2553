/**
 * Vertex AI: the model's resource path and the credentials step. The token path through
 * google-auth-library is checked up to the token exchange: google-auth-library 10 posts to a fixed
 * https://oauth2.googleapis.com/token (gtoken's GOOGLE_TOKEN_URL), which no local endpoint can stand
 * in for, so a live exchange is not tested here; a key file the library cannot use is.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vertexAdapter, vertexModelPath } from '../../../adapters/gemini/vertex.js';
import type { VertexSettings } from '../../../adapters/gemini/vertex-settings.js';
import type { ProviderSettings, UpstreamHttpRequest, UpstreamTarget } from '../../../adapters/types.js';

function provider(extra: Partial<VertexSettings> = {}): ProviderSettings<VertexSettings> {
  return { id: 'v', type: 'vertex', headers: {}, project: 'my-project', location: 'europe-west4', ...extra };
}

const target = (model: string, extra: Partial<VertexSettings> = {}): UpstreamTarget<VertexSettings> => ({
  deploymentId: 'v',
  model,
  provider: provider(extra),
});
const bare = (): UpstreamHttpRequest => ({ method: 'POST', path: '/x', headers: {} });

describe('vertex', () => {
  it('puts the model under the project, location and publisher', () => {
    expect(vertexModelPath(target('gemini-2.0-flash-001'))).toBe(
      '/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.0-flash-001',
    );
    expect(vertexModelPath(target('google/gemini-2.5-pro'))).toBe(
      '/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro',
    );
    expect(vertexModelPath(target('publishers/google/models/gemini-2.5-pro'))).toContain('/publishers/google/models/gemini-2.5-pro');
  });

  it('streams with alt=sse and serves chat and embeddings, not legacy completions', () => {
    const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true };
    const built = vertexAdapter.buildRequest(
      { operation: 'chat', body, raw: Buffer.from(JSON.stringify(body)), stream: true, includeUsage: false },
      target('gemini-2.0-flash-001'),
    );
    expect(built.path).toMatch(/:streamGenerateContent\?alt=sse$/);
    expect([...vertexAdapter.operations]).toEqual(['chat', 'embeddings']);
  });

  it('authorizes with a fixed token, an Express-mode key, or a configured Authorization header as it is', async () => {
    expect((await vertexAdapter.authorize!(bare(), { provider: provider({ access_token: 'ya29.t' }) })).headers).toEqual({
      authorization: 'Bearer ya29.t',
    });
    expect((await vertexAdapter.authorize!(bare(), { provider: provider({ api_key: 'AQ.k' }) })).headers).toEqual({
      'x-goog-api-key': 'AQ.k',
    });
    const own = { ...bare(), headers: { authorization: 'Bearer mine' } };
    expect((await vertexAdapter.authorize!(own, { provider: provider({ access_token: 'ya29.t' }) })).headers).toEqual({
      authorization: 'Bearer mine',
    });
  });

  it('a key file the library cannot use is the gateway’s auth failure, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vertex-'));
    const file = join(dir, 'sa.json');
    writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'my-project',
        client_email: 'sa@my-project.iam.gserviceaccount.com',
        private_key: 'not a key',
        private_key_id: 'k1',
      }),
    );
    const err = await Promise.resolve(vertexAdapter.authorize!(bare(), { provider: provider({ credentials_file: file }) })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'UpstreamError', kind: 'auth', retryable: true });
    const missing = await Promise.resolve(
      vertexAdapter.authorize!(bare(), { provider: provider({ credentials_file: join(dir, 'absent.json') }) }),
    ).catch((e: unknown) => e);
    expect(missing).toMatchObject({ kind: 'auth' });
  });
});
