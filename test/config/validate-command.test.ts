/**
 * `switchyard validate [--no-env] FILE`: exit 0 with a summary, 1 with every error as file:line:col
 * (schema and references in one run), 2 on a usage error; warnings on stderr never fail; `--no-env`
 * checks structure and references without the environment and says so; `-h`/`--help` documents the
 * flags and exit codes.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runValidateCommand } from '../../cli/validate.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const touched = new Set<string>();

function setEnv(vars: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(vars)) {
    touched.add(name);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
const saved = { ...process.env };
afterEach(() => {
  for (const name of touched) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  touched.clear();
});

async function validate(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const code = await runValidateCommand(argv, {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
  });
  return { code, ...out };
}

const productionVars = [
  'PORT',
  'BODY_LIMIT',
  'SWITCHYARD_ADMIN_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY',
  'VLLM_A_URL',
  'VLLM_B_URL',
  'VLLM_HEALTH_PATH',
  'VLLM_HEALTH_INTERVAL_MS',
  'GPT_CONTEXT',
  'VLLM_MODEL',
  'CHAT_STRATEGY',
  'K',
  'TEAM_BATCH_KEY',
];
const unsetAll = () => setEnv(Object.fromEntries(productionVars.map((v) => [v, undefined])));

describe('switchyard validate FILE', () => {
  it('exit 1: each missing variable once, as file:line:col', async () => {
    unsetAll();
    const file = join(fixtures, 'production.yaml');
    const r = await validate(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`${file}: 13 error(s)`);
    expect(lines[0]).toBe(
      `${file}:5:9: server.port: environment variable PORT is not set (set it, or write \${PORT:-default} to give a default)`,
    );
    expect(lines.filter((l) => l.includes(': keys[0].key: '))).toHaveLength(1);
  });

  it('exit 0 with every variable set, summary on stdout', async () => {
    setEnv({
      PORT: '8080',
      BODY_LIMIT: '8mb',
      SWITCHYARD_ADMIN_KEY: 'adm-secret-123',
      OPENAI_BASE_URL: 'https://api.openai.com/v1',
      OPENAI_API_KEY: 'sk-secret-1',
      VLLM_A_URL: 'http://10.0.0.5:8000/v1',
      VLLM_HEALTH_PATH: '/models',
      VLLM_HEALTH_INTERVAL_MS: '5000',
      GPT_CONTEXT: '128000',
      VLLM_MODEL: 'llama',
      CHAT_STRATEGY: 'latency',
      K: 'sk-team-search-1',
      TEAM_BATCH_KEY: 'sk-team-batch-1',
    });
    const file = join(fixtures, 'production.yaml');
    const r = await validate(file);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: valid\n`));
    expect(r.stdout).toContain('chat (latency): llama@gpu; fallbacks: gpt-4o@2024-08-06');
    expect(r.stdout).not.toMatch(/sk-|adm-secret/);
  });

  it('exit 1 with a flow-map ${VAR} (one error, what to write) and a reference error, in one run', async () => {
    setEnv({ TEAM_SEARCH_KEY: 'sk-team-search-1' });
    const file = join(fixtures, 'flow-reference.yaml');
    const r = await validate(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        `${file}:8:15: routes.chat.targets[0]: no deployment named 'llama@lcoal' (did you mean 'llama@local'?)`,
        `${file}:10:31: keys[0].key: quote values that contain \${ inside { }: key: "\${TEAM_SEARCH_KEY}" (unquoted, YAML reads the braces of \${...} as a nested mapping)`,
        `${file}: 2 error(s)`,
        '',
      ].join('\n'),
    );
  });

  it('a literal secret is a warning on stderr; the file is still valid (exit 0)', async () => {
    setEnv({ SWITCHYARD_TEST_KEY: 'sk-from-the-environment-1' });
    const file = join(fixtures, 'literal-secret.yaml');
    const r = await validate(file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: valid\n/);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `warning: ${file}:3:14: server.admin_key: a secret is written into the file; secrets belong in the environment: write admin_key: "\${SWITCHYARD_ADMIN_KEY}" and set SWITCHYARD_ADMIN_KEY`,
      `warning: ${file}:5:75: providers.openai.api_key: a secret is written into the file; secrets belong in the environment: write api_key: "\${OPENAI_API_KEY}" and set OPENAI_API_KEY`,
      `warning: ${file}:12:31: keys[0].key: a secret is written into the file; secrets belong in the environment: write key: "\${TEAM_SEARCH_KEY}" and set TEAM_SEARCH_KEY`,
    ]);
    expect(r.stdout + r.stderr).not.toMatch(/literal-secret-\d|sk-from-the-environment/);
  });
});

describe('switchyard validate --no-env FILE', () => {
  it('exit 0 without any variable set, and says the environment was not checked', async () => {
    unsetAll();
    const file = join(fixtures, 'production.yaml');
    const r = await validate('--no-env', file);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.split('\n')[0]).toBe(
      `${file}: valid; environment not checked (--no-env): 14 variable(s) assumed set: BODY_LIMIT, CHAT_STRATEGY, GPT_CONTEXT, K, OPENAI_API_KEY, OPENAI_BASE_URL, PORT, SWITCHYARD_ADMIN_KEY, TEAM_BATCH_KEY, VLLM_A_URL, VLLM_B_URL, VLLM_HEALTH_INTERVAL_MS, VLLM_HEALTH_PATH, VLLM_MODEL`,
    );
    expect(r.stdout).toContain('client keys: 2');
  });

  it('the flag may follow the file', async () => {
    unsetAll();
    expect((await validate(join(fixtures, 'production.yaml'), '--no-env')).code).toBe(0);
  });

  it('exit 1 for what no environment can fix, and the footer says the environment was not checked', async () => {
    const file = join(fixtures, 'production-broken.yaml');
    const r = await validate('--no-env', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${file}:8:89: providers.openai.timeout_ms: unknown key 'timeout_ms'; allowed here: type, base_url, endpoints, headers, max_connections, connect_timeout_ms, health_check, pool, api_key, prefill`,
      `${file}:13:15: routes.chat.targets[0]: no deployment named 'gpt-4o@2024-08-6' (did you mean 'gpt-4o@2024-08-06'?)`,
      `${file}:14:16: routes.chat.fallbacks: expected a list, got a string`,
      `${file}: 3 error(s); environment not checked (--no-env): 6 variable(s) assumed set: CHAT_FALLBACKS, OPENAI_API_KEY, OPENAI_BASE_URL, PORT, SWITCHYARD_ADMIN_KEY, TEAM_SEARCH_KEY`,
    ]);
  });

  it('says so for a file without references too', async () => {
    const r = await validate('--no-env', join(fixtures, 'bad-route.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad-route\.yaml: 1 error\(s\); environment not checked \(--no-env\)\n$/);
  });
});

describe('usage', () => {
  it('-h and --help document the flags and exit codes on stdout, exit 0', async () => {
    for (const flag of ['-h', '--help']) {
      const r = await validate(flag);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^usage: switchyard validate \[--no-env\] FILE\n/);
      for (const text of ['--no-env', '-h, --help', 'exit codes:', '  0  valid', '  1  the file has errors', '  2  usage error']) {
        expect(r.stdout).toContain(text);
      }
    }
  });

  it.each([
    [[], 'no config file given'],
    [['a.yaml', 'b.yaml'], 'give exactly one config file'],
    [['--bogus', 'a.yaml'], "Unknown option '--bogus'"],
  ])('%j: exit 2, the reason and the usage line on stderr, nothing on stdout', async (argv, reason) => {
    const r = await validate(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `switchyard validate: ${reason}\nusage: switchyard validate [--no-env] FILE\nrun 'switchyard validate --help' for its options.\n`,
    );
  });
});
