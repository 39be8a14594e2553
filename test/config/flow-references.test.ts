/**
 * `{ key: ${VAR} }` is not YAML (braces are structure inside a flow collection). The loader reports one
 * error per such value, at its line:col, saying what to write — not the parser's cascade — and checks
 * the rest of the file as if the value had been quoted.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { baseConfig, errorsOf } from '../support/config-text.js';

const base = baseConfig;

describe('an unquoted ${VAR} inside { } or [ ]', () => {
  it("is one error at the value, saying to quote it (the README's old keys: line)", () => {
    const text = `${base}keys:\n  - { name: team-search, key: \${TEAM_SEARCH_KEY}, routes: [chat] }\n`;
    expect(errorsOf(text, { TEAM_SEARCH_KEY: 'sk-team-search-1' })).toEqual([
      'sw.yaml:10:31: keys[0].key: quote values that contain ${ inside { }: key: "${TEAM_SEARCH_KEY}" (unquoted, YAML reads the braces of ${...} as a nested mapping)',
    ]);
  });

  it('quoted, the same line loads', () => {
    const r = loadConfigText(`${base}keys:\n  - { name: team-search, key: "\${TEAM_SEARCH_KEY}", routes: [chat] }\n`, 'sw.yaml', {
      TEAM_SEARCH_KEY: 'sk-team-search-1',
    });
    expect(r.ok ? r.config.keys[0]!.key : r.errors.map(formatIssue)).toBe('sk-team-search-1');
  });

  it('does not hide the rest of the file: later lines, schema errors and references are still checked', () => {
    const text = base
      .replace('version: 1', 'version: 1\nserver: { port: 8080, admin_key: ${SWITCHYARD_ADMIN_KEY:-} }')
      .replace('targets: [llama@local]', 'targets: [llama@lcoal]\n    strategy: fastest');
    expect(errorsOf(text)).toEqual([
      'sw.yaml:2:34: server.admin_key: quote values that contain ${ inside { }: admin_key: "${SWITCHYARD_ADMIN_KEY:-}" (unquoted, YAML reads the braces of ${...} as a nested mapping)',
      "sw.yaml:9:15: routes.chat.targets[0]: no deployment named 'llama@lcoal' (did you mean 'llama@local'?)",
      "sw.yaml:10:15: routes.chat.strategy: expected one of 'priority', 'weighted', 'cost', 'latency', 'least-busy', got \"fastest\"",
    ]);
  });

  it('in a list, names [ ] and the item; several on one line are one error each, columns as written', () => {
    const text = base.replace(
      '  local: { type: vllm, base_url: "http://127.0.0.1:8000/v1" }',
      '  local: { type: vllm, endpoints: [${A_URL}, ${B_URL}], api_key: pre-${KEY}-post }',
    );
    expect(errorsOf(text, { A_URL: 'http://10.0.0.5:8000/v1', B_URL: 'http://10.0.0.6:8000/v1', KEY: 'k' })).toEqual([
      'sw.yaml:3:36: providers.local.endpoints[0]: quote values that contain ${ inside [ ]: "${A_URL}" (unquoted, YAML reads the braces of ${...} as a nested mapping)',
      'sw.yaml:3:46: providers.local.endpoints[1]: quote values that contain ${ inside [ ]: "${B_URL}" (unquoted, YAML reads the braces of ${...} as a nested mapping)',
      'sw.yaml:3:66: providers.local.api_key: quote values that contain ${ inside { }: api_key: "pre-${KEY}-post" (unquoted, YAML reads the braces of ${...} as a nested mapping)',
    ]);
  });

  it('with another YAML error in the file, reports both and nothing of the cascade', () => {
    const text = `${base}keys:\n  - { name: team, key: \${TEAM_KEY} }\nextra: [1, 2\n`;
    const errs = errorsOf(text, { TEAM_KEY: 'sk-team-key-1' });
    expect(errs[0]).toMatch(/^sw\.yaml:10:24: keys\[0\]\.key: quote values that contain \$\{ inside \{ \}/);
    expect(errs.slice(1).every((e) => e.startsWith('sw.yaml:11:') || e.startsWith('sw.yaml:12:'))).toBe(true);
    expect(errs.length).toBeLessThanOrEqual(3);
  });

  it('leaves ${VAR} in block style alone (valid YAML there)', () => {
    const r = loadConfigText(`${base}keys:\n  - name: team\n    key: \${TEAM_KEY}\n`, 'sw.yaml', { TEAM_KEY: 'sk-team-key-1' });
    expect(r.ok ? r.config.keys[0]!.key : r.errors.map(formatIssue)).toBe('sk-team-key-1');
  });
});

describe('robustness', () => {
  const flowy = `${base}keys:\n  - { name: a, key: \${A_KEY}, routes: [\${R}, chat] }\n  - { name: b, key: "\${B_KEY:-x}" }\n`;
  it('never throws on mutated flow-style configs with references, with or without the environment', () => {
    fc.assert(
      fc.property(
        fc.nat(flowy.length),
        fc.constantFrom('${', '}', '{', '[', ']', '"', ',', ': ', '$', '${X}', '\n', ''),
        fc.nat(6),
        fc.boolean(),
        (at, insert, drop, assume) => {
          const text = flowy.slice(0, at) + insert + flowy.slice(at + drop);
          const r = loadConfigText(text, 'sw.yaml', { A_KEY: 'sk-a-key-123' }, { assumeEnvSet: assume });
          const issues = r.ok ? r.warnings : [...r.errors, ...r.warnings];
          return issues.every((e) => e.line >= 1 && e.col >= 1 && e.message.length > 0);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});
