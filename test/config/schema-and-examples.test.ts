/** The committed JSON Schema matches the zod schema; every shipped config validates. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigJsonSchema, schemaPath } from '../../config/generate-schema.js';
import { formatIssue, loadConfigFile } from '../../config/loader.js';
import { runValidateCommand } from '../../cli/validate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('config/switchyard.schema.json', () => {
  it('is up to date with config/schema.ts', () => {
    const committed = readFileSync(schemaPath, 'utf8');
    expect(committed === renderConfigJsonSchema(), 'config/switchyard.schema.json is stale: run `npm run schema` and commit it').toBe(true);
  });
});

describe('shipped configs validate', () => {
  const env = {
    OPENAI_API_KEY: 'sk-dummy-openai',
    ANTHROPIC_API_KEY: 'sk-dummy-anthropic',
    GEMINI_API_KEY: 'dummy-gemini',
    AZURE_OPENAI_API_KEY: 'dummy-azure',
    GCP_PROJECT: 'dummy-project',
    TEAM_SEARCH_KEY: 'sk-team-search-1',
    TEAM_BATCH_KEY: 'sk-team-batch-1',
  };
  const files = [
    'config/switchyard.yaml',
    'deploy/compose/switchyard.yaml',
    ...readdirSync(join(root, 'config/examples')).map((f) => `config/examples/${f}`),
  ];
  it.each(files)('%s', (file) => {
    const r = loadConfigFile(join(root, file), env);
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual([]);
    if (r.ok) expect(r.warnings.map(formatIssue)).toEqual([]);
  });

  it('an example with a missing secret names the variable', () => {
    const r = loadConfigFile(join(root, 'config/examples/cloud-and-gpu.yaml'), {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message).join('\n')).toContain('OPENAI_API_KEY is not set');
  });
});

describe('switchyard validate', () => {
  function io() {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
  }

  it('exits 0 with a summary that never shows key values', async () => {
    const { out, io: streams } = io();
    process.env.SWITCHYARD_TEST_KEY = 'sk-must-not-print-1';
    const file = join(root, 'test/fixtures/config/with-key.yaml');
    expect(await runValidateCommand([file], streams)).toBe(0);
    expect(out.stdout).toContain('routes (1):');
    expect(out.stdout).toContain('client keys: 1');
    expect(out.stdout + out.stderr).not.toContain('sk-must-not-print');
  });

  it('exits 1 with every error as file:line:col', async () => {
    const { out, io: streams } = io();
    expect(await runValidateCommand([join(root, 'test/fixtures/config/bad-route.yaml')], streams)).toBe(1);
    expect(out.stderr).toMatch(
      /bad-route\.yaml:8:15: routes\.chat\.targets\[0\]: no deployment named 'llama@lcoal' \(did you mean 'llama@local'\?\)/,
    );
  });

  it('exits 2 without a file, and 1 for a file that does not exist', async () => {
    expect(await runValidateCommand([], io().io)).toBe(2);
    const { out, io: streams } = io();
    expect(await runValidateCommand(['/nonexistent/switchyard.yaml'], streams)).toBe(1);
    expect(out.stderr).toContain('/nonexistent/switchyard.yaml:1:1: (file): cannot read the config: no such file');
  });
});
