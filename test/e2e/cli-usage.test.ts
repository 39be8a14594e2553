/**
 * The `switchyard` command's conventions, as a user meets them, on the real process: `--version` and
 * `-v` print the package version; `-h`/`--help` on the command and on every subcommand prints usage on
 * stdout and exits 0; an unknown option or command exits 2 with a usage hint on stderr and nothing on
 * stdout.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `switchyard ARGS` to its end (each of these exits without serving anything). */
function switchyard(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['bin/switchyard.mjs', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchyard ${args.join(' ')} did not exit within 15 s:\n${stdout}${stderr}`));
    }, 15_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('switchyard --version', () => {
  it('prints the package version on stdout and exits 0, as --version, -v and version', async () => {
    const runs = await Promise.all([switchyard('--version'), switchyard('-v'), switchyard('version')]);
    for (const run of runs) expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('switchyard --help', () => {
  it('prints usage naming every command and --version on stdout, exit 0', async () => {
    const runs = await Promise.all([switchyard('--help'), switchyard('-h'), switchyard('help')]);
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^usage: switchyard <command>/);
      for (const command of ['start', 'validate', 'sim', '--version']) expect(run.stdout).toContain(command);
      expect(run.stdout).toContain('`switchyard <command> --help`');
    }
  });

  it.each(['start', 'sim', 'validate'])(
    'works on `%s`: -h, --help and `help <command>` print its usage on stdout, exit 0',
    async (command) => {
      const runs = await Promise.all([switchyard(command, '-h'), switchyard(command, '--help'), switchyard('help', command)]);
      for (const run of runs) {
        expect(run.code).toBe(0);
        expect(run.stderr).toBe('');
        expect(run.stdout).toMatch(new RegExp(`^usage: switchyard ${command}\\b`));
      }
      expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
      expect(runs[2]!.stdout).toBe(runs[0]!.stdout);
    },
  );
});

describe('usage errors exit 2 with a hint on stderr and nothing on stdout', () => {
  it('no command at all', async () => {
    const run = await switchyard();
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^usage: switchyard <command>/);
  });

  it('an unknown command or top-level option', async () => {
    const [command, option, topic] = await Promise.all([switchyard('serve'), switchyard('--verbose'), switchyard('help', 'serve')]);
    expect(command.stderr).toMatch(/^switchyard: unknown command 'serve'\n\nusage: switchyard <command>/);
    expect(option.stderr).toMatch(/^switchyard: unknown option '--verbose'\n\nusage: switchyard <command>/);
    expect(topic.stderr).toMatch(/^switchyard: unknown command 'serve'\n/);
    for (const run of [command, option, topic]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
    }
  });

  it.each([
    ['start', ['--bogus'], /^switchyard start: Unknown option '--bogus'\nrun 'switchyard start --help' for usage\.\n$/],
    ['start', ['--port'], /^switchyard start: Option '-p, --port <value>' argument missing\nrun 'switchyard start --help' for usage\.\n$/],
    ['sim', ['--kind', 'vllm', '--bogus'], /^switchyard sim: Unknown option '--bogus'\nrun 'switchyard sim --help' for usage\.\n$/],
    [
      'sim',
      ['--kind', 'mistral'],
      /^switchyard sim: --kind must be one of openai, vllm, anthropic, gemini, azure, bedrock, got 'mistral'\nrun 'switchyard sim --help' for usage\.\n$/,
    ],
    ['validate', ['--bogus'], /usage: switchyard validate/],
  ])('%s %j', async (command, args, stderr) => {
    const run = await switchyard(command, ...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(stderr);
  });
});
