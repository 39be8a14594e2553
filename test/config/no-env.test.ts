/**
 * Loading with the environment assumed set (`validate --no-env`): every `${VAR}` counts as set to a
 * value its place accepts, so CI checks structure and references of a production file without its
 * secrets — no false errors on typed fields (numbers, enums, minimum lengths, formats), no missing
 * variables, and every mistake no environment could fix still reported.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigFile, loadConfigText } from '../../config/loader.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const assumed = { assumeEnvSet: true };

describe('assumeEnvSet', () => {
  it('accepts a production file whose values, typed ones included, all come from the environment', () => {
    const r = loadConfigFile(join(fixtures, 'production.yaml'), {}, assumed);
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.assumedSet).toEqual([
      'BODY_LIMIT',
      'CHAT_STRATEGY',
      'GPT_CONTEXT',
      'K',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'PORT',
      'SWITCHYARD_ADMIN_KEY',
      'TEAM_BATCH_KEY',
      'VLLM_A_URL',
      'VLLM_B_URL',
      'VLLM_HEALTH_INTERVAL_MS',
      'VLLM_HEALTH_PATH',
      'VLLM_MODEL',
    ]);
  });

  it('ignores the real environment, set or not', () => {
    const r = loadConfigFile(join(fixtures, 'production.yaml'), { PORT: 'eighty', K: 'short' }, assumed);
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual([]);
  });

  it('the same file without assumeEnvSet and without the variables: every missing variable, once', () => {
    const r = loadConfigFile(join(fixtures, 'production.yaml'), {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(13);
    expect(r.errors.every((e) => /environment variable \w+ is not set/.test(e.message))).toBe(true);
  });

  it('still reports unknown keys, unknown references, and a list the environment could never give', () => {
    const r = loadConfigFile(join(fixtures, 'production-broken.yaml'), {}, assumed);
    expect(r.ok ? [] : r.errors.map(formatIssue).map((e) => e.replace(fixtures, ''))).toEqual([
      "production-broken.yaml:8:89: providers.openai.timeout_ms: unknown key 'timeout_ms'; allowed here: type, base_url, endpoints, headers, max_connections, connect_timeout_ms, health_check, pool, api_key, prefill",
      "production-broken.yaml:13:15: routes.chat.targets[0]: no deployment named 'gpt-4o@2024-08-6' (did you mean 'gpt-4o@2024-08-06'?)",
      'production-broken.yaml:14:16: routes.chat.fallbacks: expected a list, got a string',
    ]);
  });

  it('a default stands in where one is written; literal values are checked as usual', () => {
    const text = `version: 1
server: { port: "\${PORT:-8080}", body_limit: 4 megabytes }
providers:
  local: { type: vllm, base_url: "\${VLLM_URL:-http://127.0.0.1:8000/v1}" }
deployments:
  llama@local: { provider: local, model: llama }
routes:
  chat: { targets: [llama@local] }
`;
    const r = loadConfigText(text, 'sw.yaml', {}, assumed);
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual(['sw.yaml:2:46: server.body_limit: "4 megabytes": a size such as 512kb or 4mb']);
  });

  it('stands in for a provider type, an enum and a version from the environment', () => {
    const text = `version: \${CONFIG_VERSION}
providers:
  p: { type: "\${PROVIDER_TYPE}", base_url: "\${URL}" }
deployments:
  d: { provider: p, model: m, capabilities: ["\${CAPABILITY}"] }
routes:
  r: { targets: [d], strategy: "\${STRATEGY}", retries: { same_deployment: "\${RETRIES}" } }
`;
    const r = loadConfigText(text, 'sw.yaml', {}, assumed);
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual([]);
  });
});
