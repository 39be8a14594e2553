/** The config of `passthrough:` and keys' `passthrough` lists: what loads, and what is refused at its line. */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../config/loader.js';
import { baseConfig, errorsOf } from '../support/config-text.js';

const withOpenAI = baseConfig.replace(
  'providers:\n',
  'providers:\n  openai: { type: openai, base_url: "https://api.openai.com/v1", api_key: sk-test-000000000000 }\n',
);

describe('passthrough', () => {
  it('loads entries keyed by provider id, with prefixes and request limits, and keys naming them', () => {
    const text = `${withOpenAI}passthrough:
  openai: { paths: [/v1/files, /v1/batches, /v1/realtime], limits: { rpm: 60, rpd: 1000 } }
  local: { paths: [/v1/tokenize] }
keys:
  - { name: all, key: "k-000000001" }
  - { name: some, key: "k-000000002", routes: [chat], passthrough: [openai] }
`;
    const loaded = loadConfigText(text, 'sw.yaml', {});
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.config.passthrough?.openai).toEqual({
      paths: ['/v1/files', '/v1/batches', '/v1/realtime'],
      limits: { rpm: 60, rpd: 1000 },
    });
    expect(loaded.config.keys[1]!.passthrough).toEqual(['openai']);
  });

  it('refuses an unknown provider id, with did-you-mean, at the entry', () => {
    expect(errorsOf(`${withOpenAI}passthrough:\n  opnai: { paths: [/v1/files] }\n`)).toEqual([
      "sw.yaml:11:10: passthrough.opnai: no provider named 'opnai' (did you mean 'openai'?); pass-through entries are keyed by a provider id",
    ]);
  });

  it("refuses prefixes without a leading '/', with '..', '.', '%' escapes, a backslash, '//' or a query, each at its line", () => {
    const text = `${withOpenAI}passthrough:
  openai:
    paths:
      - v1/files
      - /v1/../admin
      - /v1/./files
      - /v1/%2e%2e
      - '/v1\\files'
      - //evil.example/v1
      - /v1/files?x=1
      - /v1/files/
`;
    expect(errorsOf(text)).toEqual([
      "sw.yaml:13:9: passthrough.openai.paths[0]: 'v1/files' must start with '/' (a path on the provider's origin, e.g. /v1/files)",
      "sw.yaml:14:9: passthrough.openai.paths[1]: '/v1/../admin' must not contain '.' or '..' segments",
      "sw.yaml:15:9: passthrough.openai.paths[2]: '/v1/./files' must not contain '.' or '..' segments",
      "sw.yaml:16:9: passthrough.openai.paths[3]: '/v1/%2e%2e' must not contain '%' escapes: write the path's characters as they are",
      "sw.yaml:17:9: passthrough.openai.paths[4]: '/v1\\files' must not contain a backslash",
      "sw.yaml:18:9: passthrough.openai.paths[5]: '//evil.example/v1' must not contain empty segments ('//' or a trailing '/')",
      "sw.yaml:19:9: passthrough.openai.paths[6]: '/v1/files?x=1' holds characters a URL path cannot carry as they are (no '?', '#', spaces)",
      "sw.yaml:20:9: passthrough.openai.paths[7]: '/v1/files/' must not contain empty segments ('//' or a trailing '/')",
    ]);
  });

  it('refuses unknown keys in an entry and in its limits (tokens and spend cannot be counted)', () => {
    const errors = errorsOf(`${withOpenAI}passthrough:\n  openai: { paths: [/v1/files], path: /x, limits: { tpm: 5 } }\n`);
    expect(errors).toContainEqual(
      expect.stringMatching(/^sw\.yaml:11:\d+: passthrough\.openai\.path: unknown key 'path' \(did you mean 'paths'\?\)/),
    );
    expect(errors).toContainEqual(expect.stringMatching(/^sw\.yaml:11:\d+: passthrough\.openai\.limits\.tpm: unknown key 'tpm'/));
  });

  it('refuses an entry without paths', () => {
    expect(errorsOf(`${withOpenAI}passthrough:\n  openai: { paths: [] }\n`)).toEqual([
      expect.stringMatching(/^sw\.yaml:11:\d+: passthrough\.openai\.paths: /),
    ]);
  });

  it('refuses a key naming a pass-through entry that does not exist, with did-you-mean', () => {
    const text = `${withOpenAI}passthrough:\n  openai: { paths: [/v1/files] }\nkeys:\n  - { name: a, key: "k-000000001", passthrough: [opena] }\n`;
    expect(errorsOf(text)).toEqual([
      "sw.yaml:13:50: keys[0].passthrough[0]: no pass-through entry 'opena' (did you mean 'openai'?); list provider ids configured under passthrough:",
    ]);
  });

  it('refuses a provider that signs requests over the body (SigV4), and accepts it with a bearer api_key', () => {
    const bedrock = (settings: string) =>
      `${baseConfig.replace('providers:\n', `providers:\n  aws: { type: bedrock, base_url: "https://bedrock-runtime.us-east-1.amazonaws.com", region: us-east-1${settings} }\n`)}passthrough:\n  aws: { paths: [/model] }\n`;
    expect(errorsOf(bedrock(''))).toEqual([
      "sw.yaml:11:8: passthrough.aws: provider 'aws' (type bedrock) signs each request over its body (SigV4), and pass-through bodies stream unbuffered: give the provider an api_key (a bearer key) or remove this entry",
    ]);
    expect(errorsOf(bedrock(', api_key: bedrock-key-000000'))).toEqual([]);
  });
});
