/**
 * The loader tells the whole truth once: reference errors in the same run as schema errors (wherever
 * the rest of the file allows it), and one error for a missing environment variable — not also the
 * schema's or the cross-check's complaint about the empty value it left behind.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { baseConfig, errorsOf } from '../support/config-text.js';

const base = baseConfig;

describe('schema errors and reference errors in one run', () => {
  it('a wrong type and a route naming an unknown deployment, both reported', () => {
    const text = base.replace('model: llama', 'model: 7').replace('targets: [llama@local]', 'targets: [llama@lcoal]');
    expect(errorsOf(text)).toEqual([
      'sw.yaml:5:42: deployments.llama@local.model: expected a string, got an integer',
      "sw.yaml:8:15: routes.chat.targets[0]: no deployment named 'llama@lcoal' (did you mean 'llama@local'?)",
    ]);
  });

  it('an entry with a schema error still exists by name: no false "no deployment named" for it', () => {
    const text = base.replace('{ provider: local, model: llama }', '{ provider: remote }');
    expect(errorsOf(text)).toEqual([
      "sw.yaml:5:16: deployments.llama@local: missing required key 'model'",
      "sw.yaml:5:28: deployments.llama@local.provider: no provider named 'remote'",
    ]);
  });

  it('an unknown key, an unknown provider type and a key naming an unknown route, together', () => {
    const text = `${base.replace('type: vllm', 'type: vlm').replace('  chat:\n', '  chat:\n    fallback: [llama@local]\n')}keys:\n  - { name: a, key: "k-000000001", routes: [chta] }\n`;
    expect(errorsOf(text)).toEqual([
      `sw.yaml:3:18: providers.local.type: expected one of 'openai', 'openai-compatible', 'vllm', 'tgi', 'sglang', 'llamacpp', 'ollama', 'anthropic', 'azure', 'bedrock', 'gemini', 'vertex', got "vlm" (did you mean 'vllm'?)`,
      "sw.yaml:8:5: routes.chat.fallback: unknown key 'fallback' (did you mean 'fallbacks'?); allowed here: strategy, targets, weights, retries, stream_upstream, fallbacks, continuation, timeouts, hedge, limits, canary, shadow, description",
      "sw.yaml:11:45: keys[0].routes[0]: no route named 'chta' (did you mean 'chat'?)",
    ]);
  });

  it('a section that is not a mapping is one schema error, not a flood of "no such name"', () => {
    const text = base.replace('providers:\n  local: { type: vllm, base_url: "http://127.0.0.1:8000/v1" }', 'providers: 7');
    expect(errorsOf(text)).toEqual(['sw.yaml:2:12: providers: expected a mapping, got an integer']);
  });

  it('the same value is not reported twice (a schema error wins over the cross-check at its path)', () => {
    expect(errorsOf(base.replace('"http://127.0.0.1:8000/v1"', '""'))).toEqual([
      'sw.yaml:3:34: providers.local.base_url: must be at least 1 characters long',
    ]);
  });

  it('warnings come with errors too', () => {
    const r = loadConfigText(
      `${base.replace('model: llama', 'model: 7')}simulators:\n  spare: { kind: openai, model: m }\n`,
      'sw.yaml',
      {},
    );
    expect(r.ok).toBe(false);
    expect(r.warnings.map(formatIssue)).toEqual([
      "sw.yaml:10:10: simulators.spare: simulator 'spare' is started but no provider uses it (reach it as sim://spare)",
    ]);
  });
});

describe('a missing environment variable is one error', () => {
  const missing = (name: string, line: number, col: number, path: string) =>
    `sw.yaml:${line}:${col}: ${path}: environment variable ${name} is not set (set it, or write \${${name}:-default} to give a default)`;

  it.each([
    [
      'a client key (not also "at least 8 characters")',
      `${base}keys:\n  - { name: team, key: "\${TEAM_KEY}" }\n`,
      missing('TEAM_KEY', 10, 24, 'keys[0].key'),
    ],
    [
      'a port (not also "expected a number")',
      base.replace('version: 1', 'version: 1\nserver:\n  port: ${PORT}'),
      missing('PORT', 3, 9, 'server.port'),
    ],
    [
      'a base URL (not also "is not an http(s) URL")',
      base.replace('"http://127.0.0.1:8000/v1"', '"${VLLM_URL}"'),
      missing('VLLM_URL', 3, 34, 'providers.local.base_url'),
    ],
    [
      'a reference (not also "no provider named")',
      base.replace('provider: local', 'provider: "${PROVIDER}"'),
      missing('PROVIDER', 5, 28, 'deployments.llama@local.provider'),
    ],
    [
      'an enum (not also "expected one of")',
      base.replace('  chat:\n', '  chat:\n    strategy: ${STRATEGY}\n'),
      missing('STRATEGY', 8, 15, 'routes.chat.strategy'),
    ],
  ])('%s', (_, text, error) => {
    expect(errorsOf(text)).toEqual([error]);
  });

  it('two missing keys are two errors, not also "the same value as keys[0]"', () => {
    expect(errorsOf(`${base}keys:\n  - { name: a, key: "\${A_KEY}" }\n  - { name: b, key: "\${B_KEY}" }\n`)).toEqual([
      missing('A_KEY', 10, 21, 'keys[0].key'),
      missing('B_KEY', 11, 21, 'keys[1].key'),
    ]);
  });

  it('and the rest of the file is still checked', () => {
    const text = `${base.replace('targets: [llama@local]', 'targets: [llama@lcoal]')}keys:\n  - { name: team, key: "\${TEAM_KEY}" }\n`;
    expect(errorsOf(text)).toEqual([
      "sw.yaml:8:15: routes.chat.targets[0]: no deployment named 'llama@lcoal' (did you mean 'llama@local'?)",
      missing('TEAM_KEY', 10, 24, 'keys[0].key'),
    ]);
  });

  it('a set value that is wrong is still reported (without echoing it)', () => {
    expect(errorsOf(`${base}keys:\n  - { name: team, key: "\${TEAM_KEY}" }\n`, { TEAM_KEY: 'short' })).toEqual([
      'sw.yaml:10:24: keys[0].key: must be at least 8 characters long',
    ]);
  });
});
