/** One reload, whoever asks: unchanged unless forced, refused (invalid or unbuildable) without applying, counted. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfigReloader } from '../../cli/config-reload.js';
import { loadConfigText } from '../../config/loader.js';
import type { Config } from '../../config/schema.js';
import { silentSink } from '../../telemetry/sink.js';

const text = (route: string, server = '{ port: 0 }') => `
version: 1
server: ${server}
providers:
  p: { type: vllm, base_url: "http://127.0.0.1:1/v1" }
deployments:
  d: { provider: p, model: llama }
routes:
  ${route}: { targets: [d] }
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setUp(options: { failBuild?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-reloader-'));
  dirs.push(dir);
  const path = join(dir, 'switchyard.yaml');
  writeFileSync(path, text('chat'));
  const started = loadConfigText(text('chat'), path);
  if (!started.ok) throw new Error('the test config is invalid');
  const applied: Config[] = [];
  const counted: string[] = [];
  const reloader = createConfigReloader({
    path,
    started: started.config,
    apply: (config) => {
      if (options.failBuild) throw new Error('sim://gone: no simulator of that name in the config');
      applied.push(config);
    },
    logger: pino({ level: 'silent' }),
    telemetry: {
      ...silentSink,
      configLoaded: (reload) => counted.push(reload ? 'reloaded' : 'start'),
      configReloadFailed: () => counted.push('error'),
    },
  });
  return { path, reloader, applied, counted };
}

describe('createConfigReloader', () => {
  it('applies a changed file, skips an unchanged one unless forced, and counts each reload', () => {
    const { path, reloader, applied, counted } = setUp();
    expect(reloader.reloadNow()).toEqual({ result: 'unchanged' });
    expect(reloader.reloadNow(true)).toMatchObject({ result: 'reloaded', routes: ['chat'], deployments: ['d'], restartNeeded: [] });
    writeFileSync(path, text('second'));
    expect(reloader.reloadNow()).toMatchObject({ result: 'reloaded', routes: ['second'] });
    expect(reloader.reloadNow()).toEqual({ result: 'unchanged' });
    expect(applied.map((c) => Object.keys(c.routes))).toEqual([['chat'], ['second']]);
    expect(counted).toEqual(['reloaded', 'reloaded']);
  });

  it('refuses a file with errors, each at file:line:col, without applying it; reports it once unless forced', () => {
    const { path, reloader, applied, counted } = setUp();
    writeFileSync(path, text('chat').replace('targets: [d]', 'targets: [missing]').replace('version: 1', 'version: 1\ncolour: blue'));
    const outcome = reloader.reloadNow();
    expect(outcome.result).toBe('invalid');
    const errors = outcome.result === 'invalid' ? outcome.errors : [];
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e.startsWith(`${path}:`)).toBe(true);
    expect(errors.join('\n')).toMatch(/:\d+:\d+: colour: /);
    expect(errors.join('\n')).toMatch(/:\d+:\d+: routes\.chat\.targets\[0\]: no deployment named 'missing'/);
    expect(reloader.reloadNow()).toEqual({ result: 'unchanged' });
    expect(reloader.reloadNow(true).result).toBe('invalid');
    expect(applied).toEqual([]);
    expect(counted).toEqual(['error', 'error']);
  });

  it('reports a file that cannot be read when forced, and waits for the next event when not', () => {
    const { path, reloader, counted } = setUp();
    rmSync(path);
    expect(reloader.reloadNow()).toEqual({ result: 'unchanged' });
    const outcome = reloader.reloadNow(true);
    expect(outcome).toEqual({ result: 'invalid', errors: [`${path}:1:1: (file): cannot read the config: no such file`] });
    expect(counted).toEqual(['error']);
  });

  it('refuses a config no Runtime can be built from', () => {
    const { reloader, counted } = setUp({ failBuild: true });
    expect(reloader.reloadNow(true)).toEqual({ result: 'build_failed', error: 'sim://gone: no simulator of that name in the config' });
    expect(counted).toEqual(['error']);
  });

  it('names the sections bound at start that differ from the ones the process started with', () => {
    const { path, reloader } = setUp();
    writeFileSync(path, text('chat', '{ port: 0, drain_delay_ms: 10 }'));
    expect(reloader.reloadNow()).toMatchObject({ result: 'reloaded', restartNeeded: ['server'] });
    // Still differs from what the process started with: still needs the restart.
    expect(reloader.reloadNow(true)).toMatchObject({ result: 'reloaded', restartNeeded: ['server'] });
  });
});
