/**
 * Secrets belong in the environment: a provider credential (each type's declared `secrets`, and
 * credential headers), a client key or the admin key written inline is a warning at its line — never
 * an error (the gateway still starts) and never echoing the value.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigFile, loadConfigText } from '../../config/loader.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

describe('a secret written inline', () => {
  it('is a warning naming file:line:col and the variable to use, for each kind of secret', () => {
    const file = join(fixtures, 'literal-secret.yaml');
    const r = loadConfigFile(file, { SWITCHYARD_TEST_KEY: 'sk-from-the-environment-1' });
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual([]);
    expect(r.warnings.map(formatIssue)).toEqual([
      `${file}:3:14: server.admin_key: a secret is written into the file; secrets belong in the environment: write admin_key: "\${SWITCHYARD_ADMIN_KEY}" and set SWITCHYARD_ADMIN_KEY`,
      `${file}:5:75: providers.openai.api_key: a secret is written into the file; secrets belong in the environment: write api_key: "\${OPENAI_API_KEY}" and set OPENAI_API_KEY`,
      `${file}:12:31: keys[0].key: a secret is written into the file; secrets belong in the environment: write key: "\${TEAM_SEARCH_KEY}" and set TEAM_SEARCH_KEY`,
    ]);
    for (const w of r.warnings) expect(formatIssue(w)).not.toMatch(/literal-secret-\d/);
  });

  it('covers credential headers; not ordinary headers, references, defaults or an empty admin key', () => {
    const text = `version: 1
server: { admin_key: "" }
providers:
  gpu:
    type: vllm
    base_url: "http://10.0.0.5:8000/v1"
    api_key: "\${GPU_KEY:-}"
    headers: { Authorization: Basic dXNlcjpwYXNz, X-Team: search, X-Api-Key: "Bearer \${TOKEN}" }
deployments:
  d: { provider: gpu, model: m }
routes:
  r: { targets: [d] }
`;
    const r = loadConfigText(text, 'sw.yaml', { TOKEN: 'tok-123456789' });
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual([]);
    expect(r.warnings.map(formatIssue)).toEqual([
      'sw.yaml:8:31: providers.gpu.headers.Authorization: a secret is written into the file; secrets belong in the environment: write Authorization: "${GPU_AUTHORIZATION}" and set GPU_AUTHORIZATION',
    ]);
  });

  it('is reported with --no-env too, and alongside errors', () => {
    const r = loadConfigText(
      `version: 1
providers:
  p: { type: openai, base_url: "https://api.openai.com/v1", api_key: sk-inline-1234567 }
deployments:
  d: { provider: p, model: m, allow_floating: true }
routes:
  r: { targets: [nope] }
`,
      'sw.yaml',
      {},
      { assumeEnvSet: true },
    );
    expect(r.ok).toBe(false);
    expect(r.warnings.map((w) => `${w.line}:${w.col}: ${w.path}`)).toEqual(['3:70: providers.p.api_key']);
  });
});
