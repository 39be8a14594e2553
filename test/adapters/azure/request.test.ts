import { describe, expect, it } from 'vitest';
import { azureAdapter } from '../../../adapters/azure/index.js';
import { azureSettings, type AzureSettings } from '../../../adapters/azure/settings.js';
import type { ClientRequest, UpstreamTarget } from '../../../adapters/types.js';
import { UpstreamError } from '../../../adapters/upstream-error.js';

function targetOf(settings: Partial<AzureSettings> = {}, model = 'chat'): UpstreamTarget<AzureSettings> {
  const parsed = azureSettings.parse({ api_key: 'k', ...settings });
  return { deploymentId: 'd', model, provider: { id: 'az', type: 'azure', headers: {}, ...parsed } };
}

function request(body: Record<string, unknown>, operation: ClientRequest['operation'] = 'chat'): ClientRequest {
  const stream = body['stream'] === true;
  return { operation, body, raw: Buffer.from(JSON.stringify(body)), stream, includeUsage: false };
}

const chat = { model: 'assistant', messages: [{ role: 'user', content: 'hi' }] };

describe('azure request paths', () => {
  it('puts the deployment in the path and the default GA api-version in the query', () => {
    expect(azureAdapter.buildRequest(request(chat), targetOf()).path).toBe(
      '/openai/deployments/chat/chat/completions?api-version=2024-10-21',
    );
  });

  it('encodes a deployment name that is not URL-safe', () => {
    const path = azureAdapter.buildRequest(request(chat), targetOf({}, 'my deployment/1')).path;
    expect(path).toBe('/openai/deployments/my%20deployment%2F1/chat/completions?api-version=2024-10-21');
  });

  it('serves legacy completions and embeddings under the deployment path', () => {
    const target = targetOf({ api_version: '2025-04-01-preview' });
    expect(azureAdapter.buildRequest(request({ model: 'x', prompt: 'a' }, 'completions'), target).path).toBe(
      '/openai/deployments/chat/completions?api-version=2025-04-01-preview',
    );
    expect(azureAdapter.buildRequest(request({ model: 'x', input: 'a' }, 'embeddings'), target).path).toBe(
      '/openai/deployments/chat/embeddings?api-version=2025-04-01-preview',
    );
  });

  it('uses the v1 API paths, with the deployment as the body model', () => {
    const built = azureAdapter.buildRequest(request(chat), targetOf({ api_version: 'v1' }));
    expect(built.path).toBe('/openai/v1/chat/completions');
    expect(JSON.parse(String(built.body))).toMatchObject({ model: 'chat' });
  });

  it('sends the client bytes as they are when nothing changes', () => {
    const req = request({ ...chat, model: 'chat' });
    expect(azureAdapter.buildRequest(req, targetOf()).body).toBe(req.raw);
  });

  it('always asks for usage in streams, and asks floats for embeddings the client wants in base64', () => {
    const streamed = azureAdapter.buildRequest(request({ ...chat, stream: true }), targetOf());
    expect(JSON.parse(String(streamed.body))).toMatchObject({ stream_options: { include_usage: true } });
    expect(streamed.headers['accept']).toBe('text/event-stream');
    const embed = azureAdapter.buildRequest(request({ model: 'x', input: 'a', encoding_format: 'base64' }, 'embeddings'), targetOf());
    expect(JSON.parse(String(embed.body))).toMatchObject({ encoding_format: 'float' });
  });

  it('has no continuation: Azure models do not extend an assistant message', () => {
    expect(azureAdapter.buildContinuation).toBeUndefined();
  });

  it('probes the resource model list, never a completion', () => {
    expect(azureAdapter.healthPath).toBe('/openai/models?api-version=2024-10-21');
  });
});

describe('azure settings', () => {
  it('accepts dated, preview and v1 versions and refuses others', () => {
    expect(azureSettings.parse({}).api_version).toBe('2024-10-21');
    for (const ok of ['2024-06-01', '2025-04-01-preview', 'v1']) expect(azureSettings.safeParse({ api_version: ok }).success).toBe(true);
    for (const bad of ['latest', '2024-6-1', 'v2', '']) expect(azureSettings.safeParse({ api_version: bad }).success).toBe(false);
  });
});

describe('azure authorize', () => {
  const built = () => azureAdapter.buildRequest(request(chat), targetOf());

  it('sends the key as api-key, never as a bearer', () => {
    const headers = azureAdapter.authorize!(built(), targetOf()) as { headers: Record<string, string> };
    expect(headers.headers['api-key']).toBe('k');
    expect(headers.headers['authorization']).toBeUndefined();
  });

  it('sends an Entra ID token as a bearer', () => {
    const target = targetOf({ api_key: undefined, ad_token: 'tok' });
    const out = azureAdapter.authorize!(built(), target) as { headers: Record<string, string> };
    expect(out.headers['authorization']).toBe('Bearer tok');
    expect(out.headers['api-key']).toBeUndefined();
  });

  it('refuses a provider with both, as an auth failure that names the fix', () => {
    const target = targetOf({ ad_token: 'tok' });
    expect(() => azureAdapter.authorize!(built(), target)).toThrow(UpstreamError);
    expect(() => azureAdapter.authorize!(built(), target)).toThrow(/exactly one/);
  });

  it('leaves a configured api-key or Authorization header alone', () => {
    const req = built();
    req.headers['authorization'] = 'Bearer proxy';
    const out = azureAdapter.authorize!(req, targetOf({ ad_token: 'tok' })) as { headers: Record<string, string> };
    expect(out.headers).toMatchObject({ authorization: 'Bearer proxy' });
    expect(out.headers['api-key']).toBeUndefined();
  });
});
