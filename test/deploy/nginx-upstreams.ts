/**
 * deploy/nginx/nginx.conf in front of several gateway replicas, for test/deploy/nginx-replicas.test.ts.
 *
 * Rendered by ./nginx-harness.ts exactly as for one upstream (its rewrites, listed there), then the one
 * `server` line of the `switchyard` upstream block becomes one line per replica: what Docker's DNS
 * gives nginx for a scaled `gateway` service (one address per container). nginx runs as in the
 * harness: foreground, a temporary prefix, on loopback.
 *
 * The harness's startNginx takes a single upstream port and renders the file itself, so its start-up
 * is repeated here; an `upstreamPorts` option there would make this file one function.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginx, freePort, readNginxConf, renderForLoopback, type RunningNginx } from './nginx-harness.js';

/** The rendered file with its single loopback upstream server replaced by one per port. */
export function renderForReplicas(conf: string, options: { listenPort: number; upstreamPorts: readonly number[]; prefix: string }): string {
  const [first] = options.upstreamPorts;
  if (first === undefined) throw new Error('at least one upstream port');
  const single = renderForLoopback(conf, { listenPort: options.listenPort, upstreamPort: first, prefix: options.prefix });
  const line = `    server 127.0.0.1:${first};\n`;
  const at = single.indexOf(line);
  if (at < 0 || single.indexOf(line, at + 1) >= 0) {
    throw new Error(`deploy/nginx/nginx.conf: expected exactly one rendered '${line.trim()}' to multiply; update this file`);
  }
  const lines = options.upstreamPorts.map((port) => `    server 127.0.0.1:${port};\n`).join('');
  return single.slice(0, at) + lines + single.slice(at + line.length);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nginx on the file rendered for these replicas; resolves once it accepts connections. */
export async function startNginxForReplicas(upstreamPorts: readonly number[]): Promise<RunningNginx> {
  const binary = findNginx();
  const prefix = mkdtempSync(join(tmpdir(), 'switchyard-nginx-'));
  // Run as root, nginx's workers drop to `nobody`, which must reach the temp directories inside.
  chmodSync(prefix, 0o755);
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, renderForReplicas(readNginxConf(), { listenPort: port, upstreamPorts, prefix }));
  const child = spawn(
    binary,
    ['-p', `${prefix}/`, '-c', conf, '-e', 'stderr', '-g', `daemon off; pid ${prefix}/nginx.pid; error_log stderr warn;`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(prefix, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start on 127.0.0.1:${port} (${binary}):\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, url: `http://127.0.0.1:${port}`, log: () => log, stop };
}
