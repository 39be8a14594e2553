/**
 * Settings of a type's own: the config builds one variant of `providers.<id>` per entry of
 * adapters/index.ts, with the transport's common keys and the type's own. Every type registered today
 * shares the OpenAI-compatible settings, so this file registers one more kind of type, with settings
 * like those wave 2's signed providers will have (a required region, an optional access key id), and
 * checks that each type accepts exactly its own keys, with errors as precise as everywhere else.
 */
import { describe, expect, it, vi } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { providerSettingsOf } from '../../adapters/provider-settings.js';
import { generateConfigJsonSchema } from '../../config/generate-schema.js';
import type { ProviderKind } from '../../adapters/types.js';

vi.mock('../../adapters/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../adapters/index.js')>();
  const { z } = await import('zod');
  const signed: ProviderKind = {
    adapter: { ...real.adapterFor('openai-compatible'), type: 'signed-example' },
    settings: z.strictObject({
      region: z.string().min(1).describe('Where requests are signed for.'),
      access_key_id: z.string().optional(),
    }),
    secrets: ['access_key_id'],
  };
  const providerKinds: Record<string, ProviderKind> = { ...real.providerKinds, 'signed-example': signed };
  const providerKindOf = (type: string) => {
    const kind = providerKinds[type];
    if (!kind) throw new Error(`unknown provider type '${type}'`);
    return kind;
  };
  return {
    ...real,
    providerKinds,
    providerTypes: Object.keys(providerKinds),
    providerKindOf,
    adapterFor: (type: string) => providerKindOf(type).adapter,
  };
});

const config = (provider: string) => `version: 1
providers:
  p: ${provider}
deployments:
  m@p: { provider: p, model: m }
routes:
  chat: { targets: [m@p] }
`;

function issues(provider: string): string[] {
  const r = loadConfigText(config(provider), 'sw.yaml', {});
  return r.ok ? [] : r.errors.map(formatIssue);
}

const familyTypes = "'openai', 'openai-compatible', 'vllm', 'tgi', 'sglang', 'llamacpp', 'ollama'";

describe('a provider type with settings of its own', () => {
  it('loads, and its adapter receives exactly its own settings with the identity', () => {
    const r = loadConfigText(
      config('{ type: signed-example, base_url: "https://signed.example/v1", region: eu-west-1, headers: { X-Team: search } }'),
      'sw.yaml',
      {},
    );
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(providerSettingsOf('p', r.config.providers.p!)).toEqual({
      id: 'p',
      type: 'signed-example',
      headers: { 'x-team': 'search' },
      region: 'eu-west-1',
    });
  });

  it('a key of another type is refused, naming the type that has it', () => {
    expect(issues('{ type: vllm, base_url: "http://gpu:8000/v1", region: eu-west-1 }')).toEqual([
      "sw.yaml:3:52: providers.p.region: unknown key 'region' (only type 'signed-example' has it, not 'vllm'); allowed here: type, base_url, endpoints, headers, max_connections, connect_timeout_ms, health_check, api_key, prefill",
    ]);
    expect(issues('{ type: signed-example, base_url: "https://signed.example/v1", region: eu-west-1, api_key: k }')).toEqual([
      `sw.yaml:3:88: providers.p.api_key: unknown key 'api_key' (only types ${familyTypes} have it, not 'signed-example'); allowed here: type, base_url, endpoints, headers, max_connections, connect_timeout_ms, health_check, region, access_key_id`,
    ]);
  });

  it('a misspelt key of its own gets a did-you-mean (and the key it meant is missing)', () => {
    expect(issues('{ type: signed-example, base_url: "https://signed.example/v1", regoin: eu-west-1 }')).toEqual([
      "sw.yaml:3:6: providers.p: missing required key 'region'",
      "sw.yaml:3:69: providers.p.regoin: unknown key 'regoin' (did you mean 'region'?); allowed here: type, base_url, endpoints, headers, max_connections, connect_timeout_ms, health_check, region, access_key_id",
    ]);
  });

  it('a required key of its own is reported missing at the provider', () => {
    expect(issues('{ type: signed-example, base_url: "https://signed.example/v1" }')).toEqual([
      "sw.yaml:3:6: providers.p: missing required key 'region'",
    ]);
  });

  it('an unknown type lists every registered type, the new one too', () => {
    expect(issues('{ type: signed, base_url: "https://signed.example/v1" }')).toEqual([
      `sw.yaml:3:14: providers.p.type: expected one of ${familyTypes}, 'signed-example', got "signed"`,
    ]);
  });

  it('the JSON Schema gives each type its own keys', () => {
    const providers = (
      generateConfigJsonSchema() as {
        properties: {
          providers: { additionalProperties: { oneOf: Array<{ properties: Record<string, { const?: string }>; required?: string[] }> } };
        };
      }
    ).properties.providers;
    const variants = providers.additionalProperties.oneOf;
    const signed = variants.find((v) => v.properties['type']?.const === 'signed-example')!;
    const vllm = variants.find((v) => v.properties['type']?.const === 'vllm')!;
    expect(Object.keys(signed.properties)).toEqual([
      'type',
      'base_url',
      'endpoints',
      'headers',
      'max_connections',
      'connect_timeout_ms',
      'health_check',
      'region',
      'access_key_id',
    ]);
    expect(signed.required).toEqual(['type', 'region']);
    expect(Object.keys(vllm.properties)).toContain('api_key');
    expect(Object.keys(vllm.properties)).not.toContain('region');
  });
});
