/** Starts the simulator and the gateway as child processes for the benchmark, and reads their output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns `switchyard ARGS` and resolves once its output matches `ready`. */
export function spawnSwitchyard(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<Child & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, ['bin/switchyard.mjs', ...args], {
    cwd: root,
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

/** One of bench/reference-proxy.ts's proxies in front of `upstream`, with its CPU counter. */
export async function spawnReferenceProxy(kind: 'raw' | 'express', upstream: string): Promise<Child & { origin: string; cpuMicros(): Promise<number> }> {
  const proc = spawn(process.execPath, ['bin/run-ts.mjs', 'bench/reference-proxy.ts', kind, upstream], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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
