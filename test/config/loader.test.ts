/** The config loader's error paths: every error as file:line:col with the dotted path and a message to act on. */
import { providerTypes } from '../../adapters/index.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatIssue, loadConfigText, parseByteSize, type ConfigIssue } from '../../config/loader.js';
import { baseConfig } from '../support/config-text.js';

const base = baseConfig;

function errors(text: string, env: Record<string, string> = {}): ConfigIssue[] {
  const r = loadConfigText(text, 'sw.yaml', env);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

function one(text: string, env: Record<string, string> = {}): string {
  const errs = errors(text, env);
  expect(errs, errs.map(formatIssue).join('\n')).toHaveLength(1);
  return formatIssue(errs[0]!);
}

describe('loading a valid config', () => {
  it('applies defaults', () => {
    const r = loadConfigText(base, 'sw.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.config.server.port).toBe(8080);
    expect(r.config.routes.chat!.strategy).toBe('priority');
    expect(r.config.routes.chat!.timeouts.total_ms).toBe(300_000);
    expect(r.config.deployments['llama@local']!.operations).toEqual(['chat', 'completions']);
    expect(r.locate(['routes', 'chat', 'targets', 0])).toEqual({ line: 8, col: 15 });
  });
});

describe('phase one: YAML and schema', () => {
  it('reports YAML syntax errors with their position', () => {
    expect(errors('version: 1\nproviders: {a: [1, 2}\n').map(formatIssue)[0]).toMatch(/^sw\.yaml:2:\d+: \(yaml\): /);
  });

  it('refuses duplicate keys', () => {
    expect(one(`${base}routes:\n  other: { targets: [llama@local] }\n`)).toMatch(/^sw\.yaml:9:1: \(yaml\): Map keys must be unique/);
  });

  it('refuses an unknown top-level key, with did-you-mean', () => {
    expect(one(`${base}rotues: {}\n`)).toBe(
      "sw.yaml:9:1: rotues: unknown key 'rotues' (did you mean 'routes'?); allowed here: version, server, simulators, providers, deployments, routes, keys, redis, passthrough",
    );
  });

  it('refuses an unknown nested key at the key itself', () => {
    const text = base.replace('    targets: [llama@local]', '    targets: [llama@local]\n    fallback: [llama@local]');
    expect(one(text)).toMatch(/^sw\.yaml:9:5: routes\.chat\.fallback: unknown key 'fallback' \(did you mean 'fallbacks'\?\)/);
  });

  it('refuses a key whose feature is not built yet', () => {
    expect(one(base.replace('    targets: [llama@local]', '    targets: [llama@local]\n    cache: { ttl_s: 60 }'))).toMatch(
      /^sw\.yaml:9:5: routes\.chat\.cache: unknown key 'cache'/,
    );
  });

  it('says what type was expected and what came', () => {
    expect(one(base.replace('version: 1', 'version: 1\nserver: { port: "eighty" }'))).toBe(
      'sw.yaml:2:17: server.port: expected a number, got a string',
    );
  });

  it('reports a missing required key at the mapping that lacks it', () => {
    expect(one(base.replace('{ provider: local, model: llama }', '{ provider: local }'))).toBe(
      "sw.yaml:5:16: deployments.llama@local: missing required key 'model'",
    );
  });

  it('reports out-of-range numbers', () => {
    expect(one(base.replace('version: 1', 'version: 1\nserver: { port: 70000 }'))).toBe(
      'sw.yaml:2:17: server.port: must be at most 65535, got 70000',
    );
  });

  it('lists the allowed values of an enum', () => {
    expect(one(base.replace('  chat:\n', '  chat:\n    strategy: fastest\n'))).toBe(
      "sw.yaml:8:15: routes.chat.strategy: expected one of 'priority', 'weighted', 'cost', 'latency', 'least-busy', got \"fastest\"",
    );
  });

  it('lists provider types from the adapter registry', () => {
    expect(one(base.replace('type: vllm', 'type: mistral'))).toBe(
      `sw.yaml:3:18: providers.local.type: expected one of ${providerTypes.map((t) => `'${t}'`).join(', ')}, got "mistral"`,
    );
  });

  it('suggests the provider type that was probably meant', () => {
    expect(one(base.replace('type: vllm', 'type: vlm'))).toBe(
      `sw.yaml:3:18: providers.local.type: expected one of 'openai', 'openai-compatible', 'vllm', 'tgi', 'sglang', 'llamacpp', 'ollama', 'anthropic', 'azure', 'bedrock', 'gemini', 'vertex', got "vlm" (did you mean 'vllm'?)`,
    );
  });

  it('reports a provider without a type at the mapping that lacks it', () => {
    expect(one(base.replace('{ type: vllm, base_url:', '{ base_url:'))).toBe("sw.yaml:3:10: providers.local: missing required key 'type'");
  });

  it('refuses an unknown provider key with the keys of that type (common ones first, then its own)', () => {
    expect(one(base.replace('type: vllm,', 'type: vllm, api_kye: x,'))).toBe(
      "sw.yaml:3:24: providers.local.api_kye: unknown key 'api_kye' (did you mean 'api_key'?); allowed here: type, base_url, endpoints, headers, max_connections, connect_timeout_ms, health_check, pool, api_key, prefill",
    );
  });

  it("checks the type's own settings like any other key", () => {
    expect(one(base.replace('type: vllm,', 'type: vllm, api_key: 12345678,'))).toBe(
      'sw.yaml:3:33: providers.local.api_key: expected a string, got an integer',
    );
  });

  it('refuses one header given twice under two spellings (names ignore case)', () => {
    expect(one(base.replace('type: vllm,', 'type: vllm, headers: { Authorization: a, authorization: b },'))).toBe(
      "sw.yaml:3:68: providers.local.headers.authorization: header 'authorization' is already given as 'Authorization' (header names ignore case)",
    );
  });

  it('needs exactly one of base_url and endpoints', () => {
    expect(one(base.replace('base_url: "http://127.0.0.1:8000/v1"', 'endpoints: []'))).toBe(
      'sw.yaml:3:35: providers.local.endpoints: needs at least 1 item(s)',
    );
    expect(one(base.replace('{ type: vllm, base_url: "http://127.0.0.1:8000/v1" }', '{ type: vllm }'))).toBe(
      'sw.yaml:3:10: providers.local: give exactly one of base_url or endpoints (a pool with discovery may leave both out)',
    );
  });

  it('reports every error, in line order', () => {
    const text = base
      .replace('version: 1', 'version: 2')
      .replace('model: llama', 'model: 7')
      .replace('targets: [llama@local]', 'targets: []');
    const errs = errors(text);
    expect(errs.map((e) => `${e.line}:${e.path}`)).toEqual(['1:version', '5:deployments.llama@local.model', '8:routes.chat.targets']);
  });

  it('refuses a document that is not a mapping', () => {
    expect(one('- 1\n- 2\n')).toMatch(/^sw\.yaml:1:1: \(top level\): the config must be a YAML mapping/);
  });
});

describe('environment variables', () => {
  const withKey = `${base.replace('base_url: "http://127.0.0.1:8000/v1"', 'base_url: "http://127.0.0.1:8000/v1", api_key: "${VLLM_KEY}"')}`;

  it('names a missing variable and its line', () => {
    expect(one(withKey)).toBe(
      'sw.yaml:3:71: providers.local.api_key: environment variable VLLM_KEY is not set (set it, or write ${VLLM_KEY:-default} to give a default)',
    );
  });

  it('substitutes set variables and defaults', () => {
    const r = loadConfigText(
      withKey.replace('version: 1', 'version: 1\nserver:\n  port: ${PORT:-9090}\n  host: ${HOST:-127.0.0.1}'),
      'sw.yaml',
      { VLLM_KEY: 'secret-value-1234' },
    );
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.config.providers.local!.api_key).toBe('secret-value-1234');
    expect(r.config.server.port).toBe(9090);
    expect(r.config.server.host).toBe('127.0.0.1');
  });

  it('reads a number from the environment where a number is expected, quoted or not', () => {
    for (const written of ['server:\n  port: ${PORT}', 'server: { port: "${PORT}" }']) {
      const r = loadConfigText(base.replace('version: 1', `version: 1\n${written}`), 'sw.yaml', { PORT: '8123' });
      if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
      expect(r.config.server.port).toBe(8123);
    }
    // ...but a key that happens to be all digits stays a string.
    const r = loadConfigText(`${base}keys:\n  - { name: team, key: "\${TEAM_KEY}" }\n`, 'sw.yaml', { TEAM_KEY: '123456789012' });
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.config.keys[0]!.key).toBe('123456789012');
    expect(one(base.replace('version: 1', 'version: 1\nserver: { port: "${PORT}" }'), { PORT: 'eighty' })).toBe(
      'sw.yaml:2:17: server.port: expected a number, got a string',
    );
  });

  it('writes a literal ${ with $${', () => {
    const r = loadConfigText(
      base.replace('model: llama', () => 'model: "llama-$${literal}"'),
      'sw.yaml',
      {},
    );
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.config.deployments['llama@local']!.model).toBe('llama-${literal}');
  });

  it('never echoes a value that came from the environment', () => {
    const text = `${base}keys:\n  - { name: team, key: "\${TEAM_KEY}" }\n  - { name: other, key: "\${OTHER_KEY}" }\n`;
    const secret = 'sk-very-secret-value-99';
    const errs = errors(text, { TEAM_KEY: secret, OTHER_KEY: secret });
    expect(errs.map(formatIssue)).toEqual([
      'sw.yaml:11:25: keys[1].key: this key has the same value as keys[0]; every client key must be unique',
    ]);
    const short = errors(`${base}keys:\n  - { name: team, key: "\${TEAM_KEY}" }\n`, { TEAM_KEY: 'short' });
    expect(formatIssue(short[0]!)).toBe('sw.yaml:10:24: keys[0].key: must be at least 8 characters long');
    const url = errors(base.replace('"http://127.0.0.1:8000/v1"', '"${URL_WITH_TOKEN}"'), {
      URL_WITH_TOKEN: 'not a url token=abc123secret',
    });
    expect(formatIssue(url[0]!)).toBe(
      'sw.yaml:3:34: providers.local.base_url: the value of ${URL_WITH_TOKEN} is not an http(s) URL (write the base URL including /v1, e.g. http://10.0.0.5:8000/v1)',
    );
    for (const e of [...errs, ...short, ...url]) expect(formatIssue(e)).not.toMatch(/secret|short'|abc123/);
  });
});

describe('phase two: cross-references', () => {
  it('a route target naming no deployment', () => {
    expect(one(base.replace('targets: [llama@local]', 'targets: [llama@lcoal]'))).toBe(
      "sw.yaml:8:15: routes.chat.targets[0]: no deployment named 'llama@lcoal' (did you mean 'llama@local'?)",
    );
  });

  it('a deployment naming no provider', () => {
    expect(one(base.replace('provider: local', 'provider: remote'))).toBe(
      "sw.yaml:5:28: deployments.llama@local.provider: no provider named 'remote'",
    );
  });

  it('an unknown simulator', () => {
    expect(one(base.replace('"http://127.0.0.1:8000/v1"', 'sim://gpu'))).toBe(
      "sw.yaml:3:34: providers.local.base_url: no simulator named 'gpu'; declare it under simulators:",
    );
  });

  it('a bad URL', () => {
    expect(one(base.replace('"http://127.0.0.1:8000/v1"', 'ftp://host/v1'))).toMatch(
      /^sw\.yaml:3:34: providers\.local\.base_url: "ftp:\/\/host\/v1" is not an http\(s\) URL/,
    );
  });

  it('the same deployment twice in a route', () => {
    expect(one(base.replace('targets: [llama@local]', 'targets: [llama@local]\n    fallbacks: [llama@local]'))).toBe(
      "sw.yaml:9:17: routes.chat.fallbacks[0]: deployment 'llama@local' is listed twice in this route",
    );
  });

  it('a key naming an unknown route, and duplicate key names', () => {
    const errs = errors(`${base}keys:\n  - { name: a, key: "k-000000001", routes: [chta] }\n  - { name: a, key: "k-000000002" }\n`);
    expect(errs.map(formatIssue)).toEqual([
      "sw.yaml:10:45: keys[0].routes[0]: no route named 'chta' (did you mean 'chat'?)",
      "sw.yaml:11:13: keys[1].name: key name 'a' is already used by keys[0]",
    ]);
  });

  it('an unused simulator is a warning, not an error', () => {
    const r = loadConfigText(`${base}simulators:\n  spare: { kind: openai, model: m }\n`, 'sw.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.warnings.map(formatIssue)).toEqual([
      "sw.yaml:10:10: simulators.spare: simulator 'spare' is started but no provider uses it (reach it as sim://spare)",
    ]);
  });
});

describe('parseByteSize', () => {
  it.each([
    [1024, 1024],
    ['512kb', 524288],
    ['4mb', 4194304],
    ['4MB', 4194304],
    ['1.5kb', 1536],
    ['1gb', 1073741824],
    ['10 b', 10],
  ])('%s', (input, want) => {
    expect(parseByteSize(input)).toBe(want);
  });
  it('refuses other text', () => {
    expect(() => parseByteSize('4 megabytes')).toThrow(/512kb or 4mb/);
  });
});

describe('robustness', () => {
  it('never throws on mutated configs, and every issue has a position', () => {
    fc.assert(
      fc.property(fc.nat(base.length), fc.string({ maxLength: 6 }), fc.nat(8), (at, insert, drop) => {
        const text = base.slice(0, at) + insert + base.slice(at + drop);
        const r = loadConfigText(text, 'sw.yaml', {});
        if (r.ok) return true;
        return r.errors.length > 0 && r.errors.every((e) => e.line >= 1 && e.col >= 1 && e.message.length > 0);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
