/**
 * The two commands a newcomer runs, as real processes: `switchyard start` on the embedded default
 * config (simulated upstreams, no keys) answers a request at once, and SIGTERM exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { killCliProcessesAfterEach, repoRoot as root, startCli as startProcess } from '../support/cli-process.js';

killCliProcessesAfterEach();
let child: ChildProcess | undefined;

/** `switchyard start ARGS`, kept as `child` for the signals and exit codes these tests check. */
async function startCli(args: string[], env: Record<string, string> = {}): Promise<{ url: string; output: () => string }> {
  const started = await startProcess(args, env);
  child = started.child;
  return started;
}

function exitCode(proc: ChildProcess): Promise<number | null> {
  return proc.exitCode !== null ? Promise.resolve(proc.exitCode) : new Promise((r) => proc.once('exit', (code) => r(code)));
}

describe('switchyard start (the embedded default config)', () => {
  it('serves the demo routes, prints copy-paste examples, and exits 0 on SIGTERM', async () => {
    const { url, output } = await startCli([], { PORT: '0' });
    expect(output()).toContain('curl ');
    expect(output()).toContain("new OpenAI({ baseURL: '");
    const client = new OpenAI({ baseURL: url, apiKey: 'anything', maxRetries: 0 });
    const chat = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello!' }] });
    expect(chat.choices[0]!.message.content).toBeTruthy();
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('chat');
    const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hi' });
    expect(emb.data[0]!.embedding.length).toBeGreaterThan(0);
    child!.kill('SIGTERM');
    expect(await exitCode(child!)).toBe(0);
  });

  it('logs each request as one JSON line (written asynchronously, flushed by exit), without the key', async () => {
    const { url, output } = await startCli([], { PORT: '0', LOG_LEVEL: 'info' });
    const key = 'sk-client-secret-0123456789';
    const client = new OpenAI({ baseURL: url, apiKey: key, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'Hello!' }] })
      .withResponse();
    const requestId = response.headers.get('x-request-id')!;
    const closed = new Promise<number | null>((resolve) => child!.once('close', (code) => resolve(code)));
    child!.kill('SIGTERM');
    // 'close' comes after the process's output has been read to its end.
    expect(await closed).toBe(0);
    const line = output()
      .split('\n')
      .find((l) => l.includes(requestId));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 'info', msg: 'request', requestId, route: 'chat', status: 200, stream: false });
    expect(output()).not.toContain(key);
  });

  it('keeps serving when its stdout breaks (the log collector went away)', async () => {
    const { url } = await startCli([], { PORT: '0', LOG_LEVEL: 'info' });
    child!.stdout!.destroy();
    const client = new OpenAI({ baseURL: url, apiKey: 'anything', maxRetries: 0 });
    for (let i = 0; i < 20; i += 1) {
      const chat = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: `log ${i}` }] });
      expect(chat.choices[0]!.message.content).toBeTruthy();
    }
    expect(child!.exitCode).toBeNull();
    child!.kill('SIGTERM');
    expect(await exitCode(child!)).toBe(0);
  });

  it('refuses to start on an invalid config, naming file:line:col', async () => {
    child = spawn(process.execPath, ['bin/switchyard.mjs', 'start', '--config', 'test/fixtures/config/bad-route.yaml'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exitCode(child)).toBe(1);
    expect(err).toMatch(/bad-route\.yaml:\d+:\d+: routes\.chat\.targets\[0\]/);
  });
});
