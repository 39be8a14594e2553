/**
 * Hot reload on the real process: the config file's directory is watched, so an edit in place, a
 * Kubernetes-style ConfigMap swap (the `..data` symlink re-pointed at a new directory), SIGHUP and
 * POST /admin/reload all reload; a config with errors is refused, logged with file:line:col, counted,
 * and the old one keeps serving. Reloads under load: config-reload-under-load.test.ts.
 */
import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killCliProcessesAfterEach, startCli, type CliProcess } from '../support/cli-process.js';
import { pollUntil } from '../support/poll.js';

killCliProcessesAfterEach();

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const adminKey = 'adm-cli-reload-0123456789';

const configWith = (routes: string[]) => `
version: 1
server: { port: 0, admin_key: ${adminKey} }
simulators:
  sim: { kind: openai, model: m-2024-07-18, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
providers:
  sim: { type: openai, base_url: sim://sim }
deployments:
  m: { provider: sim, model: m-2024-07-18 }
routes:
${routes.map((r) => `  ${r}: { targets: [m] }`).join('\n')}
`;

async function routesOf(gw: CliProcess): Promise<string[]> {
  const res = await fetch(`${gw.url}/models`);
  const body = (await res.json()) as { data: Array<{ id: string }> };
  return body.data.map((m) => m.id).sort();
}

const has = (gw: CliProcess, routes: string[]) => async () => JSON.stringify(await routesOf(gw)) === JSON.stringify([...routes].sort());

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
  dirs.push(d);
  return d;
}

describe('config hot reload', () => {
  it('reloads an edited file, refuses a broken one (old config kept, errors logged at their line), and reloads on SIGHUP', async () => {
    const dir = tempDir();
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, configWith(['chat']));
    const gw = await startCli(['--config', file], { LOG_LEVEL: 'info' });
    expect(await routesOf(gw)).toEqual(['chat']);

    writeFileSync(file, configWith(['chat', 'second']));
    await pollUntil(has(gw, ['chat', 'second']), 'the edit reloaded');

    writeFileSync(file, configWith(['chat', 'second']).replace('targets: [m]', 'targets: [missing]'));
    await pollUntil(() => gw.logs().some((l) => String(l.msg).startsWith('config reload refused')), 'the refusal logged');
    const refusal = gw.logs().find((l) => String(l.msg).startsWith('config reload refused'))!;
    expect(JSON.stringify(refusal.errors)).toMatch(/switchyard\.yaml:\d+:\d+: routes\.chat\.targets/);
    expect(await routesOf(gw)).toEqual(['chat', 'second']);

    // SIGHUP reloads too (forced: even a text the watcher already read is applied again).
    writeFileSync(file, configWith(['third']));
    gw.child.kill('SIGHUP');
    await pollUntil(has(gw, ['third']), 'SIGHUP reloaded');
  }, 30_000);

  it('reloads on POST /admin/reload, refuses a broken file with 400 at file:line:col, and counts both in /metrics', async () => {
    const dir = tempDir();
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, configWith(['chat']));
    const gw = await startCli(['--config', file]);
    const origin = gw.url.replace(/\/v1$/, '');
    const reload = () => fetch(`${origin}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}` } });
    const reloadsCounted = async (result: string) => {
      const text = await (await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
      return Number(new RegExp(`^switchyard_config_reloads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    };
    expect(await reloadsCounted('error')).toBe(0);

    // Unchanged text: an explicit call reloads anyway.
    const same = await reload();
    expect(same.status).toBe(200);
    expect(await same.json()).toEqual({
      result: 'reloaded',
      routes: ['chat'],
      deployments: ['m'],
      restart_needed: [],
      warnings: expect.any(Array),
    });

    writeFileSync(file, configWith(['chat']).replace('targets: [m]', 'targets: [missing]'));
    const refused = await reload();
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(/switchyard\.yaml:\d+:\d+: routes\.chat\.targets\[0\]: no deployment named 'missing'/);
    expect(await routesOf(gw)).toEqual(['chat']);
    expect(await reloadsCounted('error')).toBeGreaterThanOrEqual(1);
    expect(await reloadsCounted('reloaded')).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('sees a Kubernetes ConfigMap update: the ..data symlink re-pointed at a new directory, twice', async () => {
    const dir = tempDir();
    const version = (n: number, routes: string[]) => {
      mkdirSync(join(dir, `..v${n}`));
      writeFileSync(join(dir, `..v${n}`, 'switchyard.yaml'), configWith(routes));
    };
    // How kubelet lays out a mounted ConfigMap: file -> ..data/file, ..data -> ..<timestamp>.
    version(1, ['chat']);
    symlinkSync(`..v1`, join(dir, '..data'));
    symlinkSync(join('..data', 'switchyard.yaml'), join(dir, 'switchyard.yaml'));
    const swapTo = (n: number) => {
      symlinkSync(`..v${n}`, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, `..v${n - 1}`), { recursive: true });
    };
    const gw = await startCli(['--config', join(dir, 'switchyard.yaml')], { LOG_LEVEL: 'info' });
    expect(await routesOf(gw)).toEqual(['chat']);
    version(2, ['chat', 'second']);
    swapTo(2);
    await pollUntil(has(gw, ['chat', 'second']), 'the first swap reloaded');
    version(3, ['third']);
    swapTo(3);
    await pollUntil(has(gw, ['third']), 'the second swap reloaded');
  }, 30_000);
});
