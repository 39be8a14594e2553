/**
 * BENCH_BASELINE: the gateway as built from another git ref, for a before/after comparison in one run.
 * The ref is checked out in a temporary detached worktree under os.tmpdir(), given the current
 * checkout's node_modules (a symlink) when its package-lock.json is byte-identical to the current one
 * and `npm ci` otherwise, and compiled like buildDist() does (tsc -p tsconfig.build.json). The
 * worktree is removed by remove(), on process exit, and on SIGINT/SIGTERM/SIGHUP (see onSignal).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './processes.js';

export interface Baseline {
  readonly ref: string;
  readonly commit: string;
  /** `abc1234 subject` of the ref's commit. */
  readonly describe: string;
  /** The worktree: the baseline gateway runs with it as its working directory. */
  readonly dir: string;
  /** How its node_modules was provided. */
  readonly dependencies: 'symlink' | 'npm ci';
  /** Removes the worktree (idempotent, synchronous, never throws). */
  remove(): void;
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Synchronous clean-ups run, newest first, when a signal ends the benchmark. */
const onSignalCleanups: Array<() => void> = [];
let signalsInstalled = false;

/**
 * Registers a synchronous clean-up for SIGINT/SIGTERM/SIGHUP (the benchmark then exits with 128 +
 * the signal number). Returns a function that unregisters it.
 */
export function onSignal(cleanup: () => void): () => void {
  if (!signalsInstalled) {
    signalsInstalled = true;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
        for (const f of onSignalCleanups.splice(0).reverse()) {
          try {
            f();
          } catch {
            // Best effort: the next clean-up still runs.
          }
        }
        process.exit(128 + constants.signals[sig]);
      });
    }
  }
  onSignalCleanups.push(cleanup);
  return () => {
    const i = onSignalCleanups.indexOf(cleanup);
    if (i >= 0) onSignalCleanups.splice(i, 1);
  };
}

/** Kills `proc` (SIGKILL) if a signal ends the benchmark while it runs. */
export function killOnSignal(proc: ChildProcess): () => void {
  return onSignal(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
}

/** Runs a command to completion with inherited output; killed if a signal ends the benchmark. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    const unregister = killOnSignal(proc);
    proc.once('error', (err) => {
      unregister();
      reject(err);
    });
    proc.once('exit', (code, signal) => {
      unregister();
      if (code === 0) resolve();
      else reject(new Error(`${[command, ...args].join(' ')} (in ${cwd}) failed: ${signal ?? `exit code ${code}`}`));
    });
  });
}

/**
 * Checks out `ref` in a temporary worktree, provides its dependencies and compiles its dist/. On any
 * failure the worktree is removed before the error propagates.
 */
export async function prepareBaseline(ref: string): Promise<Baseline> {
  if (ref.startsWith('-')) throw new Error(`BENCH_BASELINE: not a git ref: ${ref}`);
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).trim();
  } catch {
    throw new Error(`BENCH_BASELINE: '${ref}' does not name a commit in ${root}`);
  }
  const subject = git(['log', '-1', '--format=%h %s', commit]).trim();
  const describe = subject.length > 80 ? `${subject.slice(0, 79)}…` : subject;
  if (!git(['ls-tree', '--name-only', commit, 'tsconfig.build.json']).trim()) {
    throw new Error(`BENCH_BASELINE: ${describe} has no tsconfig.build.json, so no compiled build to measure`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'switchyard-baseline-'));
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    try {
      // Drop the node_modules symlink first, so nothing below ever walks into the current checkout's.
      const nm = join(dir, 'node_modules');
      if (lstatSync(nm, { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(nm);
    } catch {
      // Removed below anyway.
    }
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      // Not registered (yet), or already gone: the directory goes below, the registration after.
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      process.stderr.write(`bench: could not remove ${dir}: ${(err as Error).message}\n`);
    }
    try {
      if (git(['worktree', 'list', '--porcelain']).split('\n').includes(`worktree ${dir}`)) git(['worktree', 'prune']);
    } catch {
      // Best effort.
    }
  };
  const unregister = onSignal(remove);
  process.once('exit', remove);

  try {
    console.log(`bench: baseline ${ref} = ${describe}: worktree in ${dir}`);
    git(['worktree', 'add', '--detach', '--quiet', dir, commit]);

    const lockPath = join(dir, 'package-lock.json');
    if (!existsSync(lockPath)) throw new Error(`BENCH_BASELINE: ${describe} has no package-lock.json`);
    const sameLock = readFileSync(lockPath).equals(readFileSync(join(root, 'package-lock.json')));
    let dependencies: Baseline['dependencies'];
    if (sameLock) {
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
      dependencies = 'symlink';
      console.log('bench: baseline package-lock.json is the current one: node_modules symlinked to the current checkout');
    } else {
      console.log('bench: baseline package-lock.json differs from the current one: npm ci in the worktree');
      // npm run sets npm_config_local_prefix (and more) to this checkout: without them, npm works on the worktree.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
      await run('npm', ['ci', '--include=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir, env);
      dependencies = 'npm ci';
    }

    console.log('bench: compiling the baseline (tsc -p tsconfig.build.json)');
    await run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], dir);
    if (!existsSync(join(dir, 'dist', 'cli', 'main.js'))) throw new Error(`BENCH_BASELINE: ${describe} built no dist/cli/main.js`);

    return {
      ref,
      commit,
      describe,
      dir,
      dependencies,
      remove: () => {
        unregister();
        remove();
      },
    };
  } catch (err) {
    unregister();
    remove();
    throw err;
  }
}

/**
 * Whether the baseline build accepts the config file at `configPath` (`switchyard validate`); the
 * command's error output when not.
 */
export function baselineAccepts(baseline: Baseline, configPath: string): { ok: true } | { ok: false; output: string } {
  try {
    execFileSync(process.execPath, [join('dist', 'cli', 'main.js'), 'validate', configPath], {
      cwd: baseline.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    return { ok: true };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message };
  }
}

/**
 * The baseline ref's own copy of the benchmark's gateway config: the YAML template literal that its
 * bench/measure.ts (or, before that file, its bench/run.ts) writes, with `${simOrigin}` and `${model}`
 * filled in. Undefined when it has none this can fill.
 */
export function baselineOwnConfig(baseline: Baseline, values: Record<string, string>): string | undefined {
  const path = ['measure.ts', 'run.ts'].map((file) => join(baseline.dir, 'bench', file)).find((candidate) => existsSync(candidate));
  if (path === undefined) return undefined;
  const m = /`(version: \d+\r?\n[\s\S]*?)`/.exec(readFileSync(path, 'utf8'));
  if (!m) return undefined;
  let unknown = false;
  const text = m[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    if (name in values) return values[name]!;
    unknown = true;
    return '';
  });
  return unknown || text.includes('${') ? undefined : text;
}
