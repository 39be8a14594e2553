/**
 * Settings of a type's own: the config builds one variant of `providers.<id>` per entry of
 * adapters/index.ts, with the transport's common keys and the type's own. Checked on the real types
 * whose settings differ most: `bedrock` (a required region, credentials of its own) against the
 * OpenAI-compatible family and `azure`: each type accepts exactly its own keys, with errors as precise
 * as everywhere else, and an unknown type lists every registered one.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { providerSettingsOf } from '../../adapters/provider-settings.js';
import { providerTypes } from '../../adapters/index.js';
import { generateConfigJsonSchema } from '../../config/generate-schema.js';

const config = (provider: string) => `version: 1
providers:
  p: ${provider}
deployments:
  m@p: { provider: p, model: m, allow_floating: true }
routes:
  chat: { targets: [m@p] }
`;

function issues(provider: string): string[] {
  const r = loadConfigText(config(provider), 'sw.yaml', {});
  return r.ok ? [] : r.errors.map(formatIssue);
}

const bedrock = '{ type: bedrock, base_url: "https://bedrock-runtime.eu-west-1.amazonaws.com"';
const common = 'type, base_url, endpoints, headers, max_connections, connect_timeout_ms, health_check, pool';

describe('a provider type with settings of its own', () => {
  it('loads, and its adapter receives exactly its own settings with the identity', () => {
    const r = loadConfigText(config(`${bedrock}, region: eu-west-1, headers: { X-Team: search } }`), 'sw.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(providerSettingsOf('p', r.config.providers.p!)).toEqual({
      id: 'p',
      type: 'bedrock',
      headers: { 'x-team': 'search' },
      region: 'eu-west-1',
    });
  });

  it('a key of another type is refused, naming the type that has it', () => {
    expect(issues('{ type: vllm, base_url: "http://gpu:8000/v1", region: eu-west-1 }')).toEqual([
      `sw.yaml:3:52: providers.p.region: unknown key 'region' (only type 'bedrock' has it, not 'vllm'); allowed here: ${common}, api_key, prefill`,
    ]);
    expect(issues(`${bedrock}, region: eu-west-1, api_version: v1 }`)).toEqual([
      `sw.yaml:3:103: providers.p.api_version: unknown key 'api_version' (only type 'azure' has it, not 'bedrock'); allowed here: ${common}, region, api_key, access_key_id, secret_access_key, session_token, prefill`,
    ]);
  });

  it('a misspelt key of its own gets a did-you-mean (and the key it meant is missing)', () => {
    expect(issues(`${bedrock}, regoin: eu-west-1 }`)).toEqual([
      "sw.yaml:3:6: providers.p: missing required key 'region'",
      `sw.yaml:3:84: providers.p.regoin: unknown key 'regoin' (did you mean 'region'?); allowed here: ${common}, region, api_key, access_key_id, secret_access_key, session_token, prefill`,
    ]);
  });

  it('a required key of its own is reported missing at the provider', () => {
    expect(issues(`${bedrock} }`)).toEqual(["sw.yaml:3:6: providers.p: missing required key 'region'"]);
  });

  it('an unknown type lists every registered type', () => {
    expect(providerTypes).toEqual(expect.arrayContaining(['anthropic', 'azure', 'bedrock', 'gemini', 'vertex', 'vllm']));
    expect(issues('{ type: bedrok, base_url: "https://bedrock-runtime.eu-west-1.amazonaws.com" }')).toEqual([
      `sw.yaml:3:14: providers.p.type: expected one of ${providerTypes.map((t) => `'${t}'`).join(', ')}, got "bedrok" (did you mean 'bedrock'?)`,
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
    const signed = variants.find((v) => v.properties['type']?.const === 'bedrock')!;
    const vllm = variants.find((v) => v.properties['type']?.const === 'vllm')!;
    expect(Object.keys(signed.properties)).toEqual([
      ...common.split(', '),
      'region',
      'api_key',
      'access_key_id',
      'secret_access_key',
      'session_token',
      'prefill',
    ]);
    expect(signed.required).toEqual(['type', 'region']);
    expect(Object.keys(vllm.properties)).toContain('api_key');
    expect(Object.keys(vllm.properties)).not.toContain('region');
  });
});
