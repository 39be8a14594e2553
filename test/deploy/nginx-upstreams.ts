/**
 * deploy/nginx/nginx.conf in front of several gateway replicas, for test/deploy/nginx-replicas.test.ts.
 *
 * Rendered by ./nginx-harness.ts exactly as for one upstream (its rewrites, listed there), then the one
 * `server` line of the `switchyard` upstream block becomes one line per replica: what Docker's DNS
 * gives nginx for a scaled `gateway` service (one address per container). nginx runs as in the
 * harness: foreground, a temporary prefix, on loopback.
 */
import { readNginxConf, renderForLoopback, runNginx, type RunningNginx } from './nginx-harness.js';

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

/** Starts nginx on the file rendered for these replicas; resolves once it accepts connections. */
export function startNginxForReplicas(upstreamPorts: readonly number[]): Promise<RunningNginx> {
  return runNginx((listenPort, prefix) => renderForReplicas(readNginxConf(), { listenPort, upstreamPorts, prefix }));
}
