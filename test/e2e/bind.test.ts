/**
 * Where `switchyard start` listens, as a user meets it on the real process: open mode (no client keys)
 * binds 127.0.0.1 unless told otherwise and says so; keys make the default every interface; HOST/--host
 * and PORT/--port override the config in a documented order, and the start-up log names the source
 * of each; the banner prints the address actually bound and examples that work as printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { chooseListenAddress } from '../../cli/listen-address.js';
import { killCliProcessesAfterEach, repoRoot, startCli, type CliProcess } from '../support/cli-process.js';
import { demoConfig } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';
import { spawn } from 'node:child_process';

killCliProcessesAfterEach();

const listening = (logs: Logs) => logs.find((l) => l.msg === 'listening');
const openModeWarning = (logs: Logs) =>
  logs.find((l) => l.level === 'warn' && String(l.msg).startsWith('OPEN MODE on a non-loopback address'));
const localOpenModeWarning = (logs: Logs) => logs.find((l) => l.level === 'warn' && String(l.msg).startsWith('OPEN MODE: no client keys'));

type Logs = Array<Record<string, unknown>>;

/** The log line `find` picks, once written (log lines are written asynchronously: they may follow the banner). */
async function logged(gw: CliProcess, find: (logs: Logs) => Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
  await pollUntil(() => find(gw.logs()) !== undefined, 'a log line');
  return find(gw.logs())!;
}

async function chat(url: string, apiKey = 'anything'): Promise<string | null | undefined> {
  const client = new OpenAI({ baseURL: url, apiKey, maxRetries: 0 });
  const r = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello!' }] });
  return r.choices[0]!.message.content;
}

const teamKey = 'sk-team-0123456789abcdef';

/** The test demo config with a client key (written as ${TEAM_KEY}) and server.port 0, in a file. */
function keyedConfigFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bind-'));
  const file = join(dir, 'keyed.yaml');
  writeFileSync(file, demoConfig({ keys: 'keys:\n  - { name: team, key: "${TEAM_KEY}" }' }));
  return file;
}

describe('open mode (no keys: in the config)', () => {
  it('binds 127.0.0.1 by default, says so loudly, and logs where the host and port came from', async () => {
    const gw = await startCli([], { PORT: '0', LOG_LEVEL: 'info' });
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const port = new URL(gw.url).port;
    expect(gw.output()).toContain(`Bound to 127.0.0.1:${port}: this machine only`);
    expect(gw.output()).toContain('OPEN MODE: no client keys are configured');
    expect(gw.output()).toContain("apiKey: 'anything' /* open mode: any key works */");
    expect(await logged(gw, listening)).toMatchObject({
      address: `127.0.0.1:${port}`,
      host: '127.0.0.1',
      hostFrom: 'the default in open mode',
      portFrom: 'PORT',
    });
    // Open mode is logged as a warning even on loopback; the louder one is for a reachable address.
    expect(await logged(gw, localOpenModeWarning)).toMatchObject({ address: `127.0.0.1:${port}` });
    expect(openModeWarning(gw.logs())).toBeUndefined();
    expect(await chat(gw.url)).toBeTruthy();
  });

  it('binds every interface when HOST says so, with a warning in the log and the banner', async () => {
    const gw = await startCli([], { PORT: '0', HOST: '0.0.0.0', LOG_LEVEL: 'info' });
    const port = new URL(gw.url).port;
    expect(gw.output()).toContain(`Bound to 0.0.0.0:${port}: every IPv4 interface (from this machine: http://127.0.0.1:${port})`);
    expect(gw.output()).toContain('ANYONE WHO CAN REACH THIS ADDRESS CAN USE THE UPSTREAMS');
    expect(await logged(gw, listening)).toMatchObject({ host: '0.0.0.0', hostFrom: 'HOST', portFrom: 'PORT' });
    expect(await logged(gw, openModeWarning)).toMatchObject({ address: `0.0.0.0:${port}` });
    expect(await chat(gw.url)).toBeTruthy();
  });

  it('lets --host and --port win over HOST and PORT', async () => {
    const gw = await startCli(['--host', '127.0.0.1', '--port', '0'], { PORT: '70000', HOST: '0.0.0.0', LOG_LEVEL: 'info' });
    expect(await logged(gw, listening)).toMatchObject({ host: '127.0.0.1', hostFrom: '--host', portFrom: '--port' });
    expect(gw.output()).toMatch(/Bound to 127\.0\.0\.1:\d+: this machine only/);
  });
});

describe('with client keys', () => {
  it('binds every interface by default, and the examples use a key placeholder and say where keys come from', async () => {
    const gw = await startCli(['--config', keyedConfigFile()], { TEAM_KEY: teamKey, LOG_LEVEL: 'info' });
    const port = new URL(gw.url).port;
    expect(await logged(gw, listening)).toMatchObject({
      host: '0.0.0.0',
      hostFrom: 'the default with client keys',
      port: Number(port),
      portFrom: 'server.port',
    });
    expect(openModeWarning(gw.logs())).toBeUndefined();
    const out = gw.output();
    expect(out).not.toContain('OPEN MODE');
    expect(out).toContain("Client keys: 1 configured in the config's keys: (team); a key is the value of the ${ENV_VAR} its entry names.");
    expect(out).toContain('export SWITCHYARD_KEY=<your key>');
    expect(out).toContain(`curl ${gw.url}/chat/completions -H "Authorization: Bearer $SWITCHYARD_KEY"`);
    expect(out).toContain('apiKey: process.env.SWITCHYARD_KEY');
    expect(out).not.toContain(teamKey);
    expect(await chat(gw.url, teamKey)).toBeTruthy();
  });
});

describe('start-up errors and help', () => {
  it('refuses an invalid PORT, naming it (exit 2)', async () => {
    const child = spawn(process.execPath, ['bin/switchyard.mjs', 'start'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(2);
    expect(err).toContain("invalid port 'eighty' (from PORT)");
  });

  it('documents the precedence in `switchyard start -h`', async () => {
    const child = spawn(process.execPath, ['bin/switchyard.mjs', 'start', '-h'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    expect(out).toContain('port: --port, else $PORT, else server.port in the config, else 8080');
    expect(out).toMatch(
      /host: --host, else \$HOST, else server\.host in the config, else 127\.0\.0\.1 when the config has no\s+client keys/,
    );
  });
});

describe('chooseListenAddress (the precedence itself)', () => {
  const config = (text: string) => {
    const loaded = loadConfigText(text, 't.yaml', { TEAM_KEY: teamKey });
    if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
    return loaded.config;
  };
  const open = config(demoConfig().replace('port: 0', 'port: 9001\n  host: 10.1.2.3'));
  const openDefaults = config(demoConfig().replace('port: 0', 'body_limit: 4mb'));
  const keyed = config(demoConfig({ keys: 'keys:\n  - { name: team, key: "${TEAM_KEY}" }' }));

  it('takes the given value first, then the config, then the default by mode', () => {
    expect(chooseListenAddress(open, { port: { value: 1, from: 'PORT' }, host: { value: '::', from: 'HOST' } })).toEqual({
      host: '::',
      hostFrom: 'HOST',
      port: 1,
      portFrom: 'PORT',
    });
    expect(chooseListenAddress(open, { portWritten: true })).toEqual({
      host: '10.1.2.3',
      hostFrom: 'server.host',
      port: 9001,
      portFrom: 'server.port',
    });
    expect(chooseListenAddress(openDefaults, { portWritten: false })).toEqual({
      host: '127.0.0.1',
      hostFrom: 'the default in open mode',
      port: 8080,
      portFrom: 'the default',
    });
    expect(chooseListenAddress(keyed)).toMatchObject({ host: '0.0.0.0', hostFrom: 'the default with client keys' });
  });
});
