/** Starts the simulator and the gateway as child processes for the benchmark, and reads their output. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Compiles the sources to `dist/` (as the Docker image does) so the gateway is measured as production
 * runs it: tsx's on-the-fly transform wraps every closure in a naming helper, a per-request cost that
 * the compiled build does not have.
 */
export function buildDist(): void {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/**
 * Spawns `switchyard ARGS` and resolves once its output matches `ready`: the compiled build from
 * buildDist() when `compiled`, else the sources through bin/switchyard.mjs. `checkout` is the tree it
 * runs from (and its working directory): this one, or a BENCH_BASELINE worktree.
 */
export function spawnSwitchyard(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
  compiled = false,
  checkout = root,
): Promise<Child & { match: RegExpExecArray }> {
  const entry = compiled ? join('dist', 'cli', 'main.js') : join('bin', 'switchyard.mjs');
  const proc = spawn(process.execPath, [entry, ...args], {
    cwd: checkout,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`switchyard ${args.join(' ')} not ready in 20 s:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        // Keep reading (and dropping) its output, so that request logs never back up the pipe.
        proc.stdout!.resume();
        resolve({ proc, stop, match });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`switchyard ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

/** CPU seconds the gateway process has used, from its own Prometheus metrics. */
export async function processCpuSeconds(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const m = /^process_cpu_seconds_total (\S+)$/m.exec(text);
  if (!m) throw new Error('process_cpu_seconds_total missing from /metrics');
  return Number(m[1]);
}

/** One of bench/reference-proxy.mjs's proxies in front of `upstream`, with its CPU counter. */
export async function spawnReferenceProxy(
  kind: 'raw' | 'express',
  upstream: string,
  model: string,
): Promise<Child & { origin: string; cpuMicros(): Promise<number> }> {
  const proc = spawn(process.execPath, ['bench/reference-proxy.mjs', kind, upstream, model], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`reference proxy exited with ${code}`)));
  });
  return {
    proc,
    origin,
    cpuMicros: async () => Number(await (await fetch(`${origin}/cpu`)).text()),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
