/**
 * Who may use a pass-through entry, the limits a pass-through request takes, and the credential
 * swap: built from a real config and Runtime, no HTTP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../config/loader.js';
import { buildRuntime } from '../../../gateway/runtime/build.js';
import type { Runtime } from '../../../gateway/runtime/runtime.js';
import { passthroughTableOf } from '../../../gateway/passthrough/table.js';
import { admitPassthrough, passthroughChecks } from '../../../gateway/passthrough/admission.js';
import { keyFromSubprotocols, providerHeaders, swapCredentials } from '../../../gateway/passthrough/credentials.js';
import { GatewayError } from '../../../gateway/errors/catalogue.js';
import { MemoryStore } from '../../../gateway/limits/memory-store.js';

const config = (keys: string) => `version: 1
providers:
  openai: { type: openai, base_url: "https://api.openai.com/v1", api_key: sk-provider-0000000000, headers: { OpenAI-Organization: org-1 } }
  azure: { type: azure, base_url: "https://x.openai.azure.com", api_key: azure-key-0000000000, api_version: "2024-10-21" }
deployments:
  d: { provider: openai, model: gpt-4o-mini-2024-07-18 }
routes:
  chat: { targets: [d] }
passthrough:
  openai: { paths: [/v1/files], limits: { rpm: 2 } }
  azure: { paths: [/openai/files] }
${keys}`;

const runtimes: Runtime[] = [];
function runtimeOf(text: string): Runtime {
  const loaded = loadConfigText(text, 'test.yaml', {});
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const rt = buildRuntime(loaded.config);
  runtimes.push(rt);
  return rt;
}
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
});

const keysYaml = `keys:
  - { name: everything, key: "k-everything-1" }
  - { name: routes-only, key: "k-routes-only-1", routes: [chat] }
  - { name: routes-and-openai, key: "k-routes-openai-1", routes: [chat], passthrough: [openai] }
  - { name: azure-only, key: "k-azure-only-1", passthrough: [azure] }
  - { name: none, key: "k-none-000001", passthrough: [] }
  - { name: limited, key: "k-limited-0001", limits: { rpm: 1, tpm: 10 } }
`;

describe('who may use a pass-through entry', () => {
  const rt = runtimeOf(config(keysYaml));
  const table = passthroughTableOf(rt);
  const key = (presented: string) => rt.keys.lookup(presented)!;

  it('a key without routes and without passthrough: every entry', () => {
    expect(table.mayUse(key('k-everything-1'), 'openai')).toBe(true);
    expect(table.mayUse(key('k-everything-1'), 'azure')).toBe(true);
  });

  it('a key with a routes list and no passthrough list: none (secure default)', () => {
    expect(table.mayUse(key('k-routes-only-1'), 'openai')).toBe(false);
    expect(table.allowedFor(key('k-routes-only-1'))).toEqual([]);
  });

  it('a key with a passthrough list: exactly those, with or without routes', () => {
    expect(table.mayUse(key('k-routes-openai-1'), 'openai')).toBe(true);
    expect(table.mayUse(key('k-routes-openai-1'), 'azure')).toBe(false);
    expect(table.mayUse(key('k-azure-only-1'), 'openai')).toBe(false);
    expect(table.allowedFor(key('k-azure-only-1'))).toEqual(['azure']);
    expect(table.mayUse(key('k-none-000001'), 'azure')).toBe(false);
  });

  it('an open gateway (no keys): every configured entry, and nothing else', () => {
    const open = passthroughTableOf(runtimeOf(config('')));
    expect(open.mayUse(undefined, 'openai')).toBe(true);
    expect(open.mayUse(undefined, 'anthropic')).toBe(false);
  });

  it('is compiled once per Runtime', () => {
    expect(passthroughTableOf(rt)).toBe(table);
  });
});

describe('pass-through limits', () => {
  const rt = runtimeOf(config(keysYaml));
  const table = passthroughTableOf(rt);
  const entry = table.entries.get('openai')!;

  it("takes the key's request limits and the entry's, never tokens", () => {
    const checks = passthroughChecks(rt.keys.lookup('k-limited-0001'), entry);
    expect(checks.map((c) => c.subject)).toEqual(['key:limited:rpm', 'passthrough:openai:rpm']);
    expect(checks.every((c) => c.amount === 1)).toBe(true);
  });

  it('refuses over the entry rpm with a 429 naming it, Retry-After set', async () => {
    const store = new MemoryStore();
    const everything = rt.keys.lookup('k-everything-1');
    await admitPassthrough(store, everything, 'openai', entry);
    await admitPassthrough(store, everything, 'openai', entry);
    const third = await admitPassthrough(store, everything, 'openai', entry).catch((e: unknown) => e);
    expect(third).toBeInstanceOf(GatewayError);
    const error = third as GatewayError;
    expect(error.status).toBe(429);
    expect(error.message).toMatch(/^Rate limit reached for pass-through 'openai': 2 requests per minute\. Retry after \d+ s\.$/);
    expect(Number(error.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it("counts an open gateway's entry limits in the Runtime's limiter store, and nothing when no entry is limited", () => {
    const open = runtimeOf(config(''));
    expect(open.limiter).toBeDefined();
    expect(passthroughTableOf(open).store).toBe(open.limiter!.store);
    const unlimited = runtimeOf(config('').replace('limits: { rpm: 2 }', ''));
    expect(unlimited.limiter).toBeUndefined();
    expect(passthroughTableOf(unlimited).store).toBeUndefined();
  });

  it("counts against the key's own rpm (shared with its inference requests)", async () => {
    const store = new MemoryStore();
    const limited = rt.keys.lookup('k-limited-0001');
    await admitPassthrough(store, limited, 'azure', table.entries.get('azure')!);
    const second = await admitPassthrough(store, limited, 'azure', table.entries.get('azure')!).catch((e: unknown) => e);
    expect((second as GatewayError).message).toMatch(/^Rate limit reached for the key 'limited': 1 requests per minute/);
  });
});

describe('the credential swap', () => {
  const rt = runtimeOf(config(''));

  it("removes the client's credentials and host steering, and adds the provider's key and static headers", async () => {
    const headers: Record<string, string | string[] | undefined> = {
      authorization: 'Bearer client-gateway-key',
      'api-key': 'client-gateway-key',
      'x-api-key': 'client-gateway-key',
      cookie: 'session=1',
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      forwarded: 'host=evil.example',
      'content-type': 'multipart/form-data; boundary=x',
      'sec-websocket-protocol': 'realtime, openai-insecure-api-key.client-gateway-key, openai-beta.realtime-v1',
    };
    swapCredentials(headers, await providerHeaders(rt.providers.get('openai')!, 'POST', '/v1/files'));
    expect(headers).toEqual({
      authorization: 'Bearer sk-provider-0000000000',
      'openai-organization': 'org-1',
      'content-type': 'multipart/form-data; boundary=x',
      'sec-websocket-protocol': 'realtime, openai-beta.realtime-v1',
    });
    expect(JSON.stringify(headers)).not.toContain('client-gateway-key');
  });

  it("uses the adapter's own scheme (Azure: api-key)", async () => {
    const headers: Record<string, string | string[] | undefined> = { authorization: 'Bearer client-gateway-key' };
    swapCredentials(headers, await providerHeaders(rt.providers.get('azure')!, 'GET', '/openai/files'));
    expect(headers).toEqual({ 'api-key': 'azure-key-0000000000' });
  });

  it('finds a key sent as the browser subprotocol, and only there', () => {
    expect(keyFromSubprotocols('realtime, openai-insecure-api-key.k-123, openai-beta.realtime-v1')).toBe('k-123');
    expect(keyFromSubprotocols('realtime')).toBeUndefined();
    expect(keyFromSubprotocols(undefined)).toBeUndefined();
  });
});
