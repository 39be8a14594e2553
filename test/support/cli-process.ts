/**
 * `switchyard start` as a real process, for tests of what only a process shows: the banner, start-up
 * logs, signals and exit codes. Each started process is killed after the test if it is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** The OpenAI base URL the banner printed. */
  readonly url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The JSON log lines written so far. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited and its output was read to the end. */
  closed(): Promise<number | null>;
}

const started: ChildProcess[] = [];

/** Kills what the file's tests left running (call once at the top of a test file). */
export function killCliProcessesAfterEach(): void {
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/** Starts `switchyard start ARGS` and resolves once its banner printed the base URL. */
export function startCli(args: string[], env: Record<string, string> = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, ['bin/switchyard.mjs', 'start', ...args], {
    cwd: repoRoot,
    env: { ...process.env, HOST: '', PORT: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const handle = (url: string): CliProcess => ({
    child,
    url,
    output: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    closed: () => closed,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${out}`)), 15_000);
    child.stdout.on('data', () => {
      const m = /OpenAI base URL: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(handle(m[1]!));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${out}`));
    });
  });
}
