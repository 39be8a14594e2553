/**
 * Runs the repository's deploy/nginx/nginx.conf on a real nginx, on loopback, for test/deploy/nginx.test.ts.
 *
 * The file is rendered with only what Docker provides replaced (each rewrite below says what and why;
 * everything else stays byte-identical), then nginx runs in the foreground with a temporary prefix.
 * The environment's nginx is used (CI installs Debian's, 1.22); when there is none the tests fail, naming
 * the package to install, rather than skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssue, loadConfigFile } from '../../config/loader.js';
import type { Config } from '../../config/schema.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const nginxConfPath = join(root, 'deploy/nginx/nginx.conf');
export const readNginxConf = (): string => readFileSync(nginxConfPath, 'utf8');

/** The nginx binary: on PATH, or where distributions put it (/usr/sbin is often not on a user's PATH). */
export function findNginx(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    'nginx is not installed: test/deploy/nginx.test.ts runs deploy/nginx/nginx.conf on a real nginx. ' +
      'Install it (Debian/Ubuntu: apt-get install nginx; `bash .ci/run` does so when it is missing).',
  );
}

export interface RenderOptions {
  /** Loopback port nginx listens on. */
  listenPort: number;
  /** Loopback port of the "gateway" upstream. */
  upstreamPort: number;
  /** The temporary prefix: logs and temp files go here. */
  prefix: string;
  /** Replaces proxy_read_timeout (the 504 test waits seconds, not minutes). */
  readTimeout?: string;
}

/** Replaces exactly one occurrence, so a changed nginx.conf fails here rather than being tested half-rendered. */
function replaceOnce(text: string, search: string, replacement: string): string {
  const at = text.indexOf(search);
  if (at < 0 || text.indexOf(search, at + 1) >= 0) {
    throw new Error(`deploy/nginx/nginx.conf: expected exactly one '${search}' to render for loopback; update the test's rewrites`);
  }
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}

/** deploy/nginx/nginx.conf for loopback: only what Docker provides is rewritten. */
export function renderForLoopback(conf: string, options: RenderOptions): string {
  let out = conf;
  // 1. Listen port: in compose the container's port 80 is published; here a free loopback port.
  out = replaceOnce(out, '    listen 80;', `    listen 127.0.0.1:${options.listenPort};`);
  // 2. Upstream host: compose's service name `gateway`, resolved by Docker's DNS, becomes a loopback
  //    address and port; `resolve` goes too (open-source nginx has it from 1.27.3; Debian's 1.22 rejects
  //    it, and a literal address has nothing to re-resolve). The `resolver` line (Docker's DNS) stays:
  //    nginx only uses it for names it resolves at run time, and there are none left.
  out = replaceOnce(out, '    server gateway:8080 resolve;', `    server 127.0.0.1:${options.upstreamPort};`);
  // 3. File system: the official image provides writable log and temp directories; Debian's build
  //    compiles in /var/log/nginx and /var/lib/nginx (root's), so they point into the prefix instead.
  //    Inserted lines only: nothing of the repository's file changes.
  const p = options.prefix;
  out = replaceOnce(
    out,
    'http {\n',
    `http {\n  access_log ${p}/access.log;\n  client_body_temp_path ${p}/client_body;\n  proxy_temp_path ${p}/proxy;\n` +
      `  fastcgi_temp_path ${p}/fastcgi;\n  uwsgi_temp_path ${p}/uwsgi;\n  scgi_temp_path ${p}/scgi;\n`,
  );
  // 4. Only when asked (the 504 test): a read timeout of seconds instead of the production minutes.
  if (options.readTimeout !== undefined) {
    out = replaceOnce(out, '      proxy_read_timeout 330s;', `      proxy_read_timeout ${options.readTimeout};`);
  }
  return out;
}

/** A port that was free a moment ago (nginx binds it itself). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningNginx {
  readonly port: number;
  readonly url: string;
  /** nginx's stderr so far (its error log), for failure messages. */
  log(): string;
  stop(): Promise<void>;
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

/** Starts nginx in the foreground on the rendered config, in a fresh temporary prefix; resolves once it accepts connections. */
export function startNginx(options: { upstreamPort: number; readTimeout?: string }): Promise<RunningNginx> {
  return runNginx((listenPort, prefix) => renderForLoopback(readNginxConf(), { listenPort, prefix, ...options }));
}

/**
 * Runs nginx in the foreground on the file `render` makes for its listen port and temporary prefix;
 * resolves once it accepts connections. `stop` ends it and removes the prefix.
 */
export async function runNginx(render: (listenPort: number, prefix: string) => string): Promise<RunningNginx> {
  const binary = findNginx();
  const prefix = mkdtempSync(join(tmpdir(), 'switchyard-nginx-'));
  // Run as root, nginx's workers drop to `nobody`, which must reach the temp directories inside.
  chmodSync(prefix, 0o755);
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, render(port, prefix));
  // Command-line directives for the main context, none of which the file sets: foreground, pid and
  // error log in the prefix and on stderr.
  const child: ChildProcess = spawn(
    binary,
    ['-p', `${prefix}/`, '-c', conf, '-e', 'stderr', '-g', `daemon off; pid ${prefix}/nginx.pid; error_log stderr warn;`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
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

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes as they are (for requests no HTTP client would send) and reads the response to the
 * connection's end: the request should say `Connection: close` (or be one nginx closes after).
 */
export function rawRequest(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.once('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no complete response within 10 s')));
    socket.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]), headers, body: text.slice(split + 4) });
    });
  });
}

/** The gateway config docker-compose.yml mounts, as the replicas load it. */
export function composeGatewayConfig(): Config {
  const loaded = loadConfigFile(join(root, 'deploy/compose/switchyard.yaml'), { PORT: '8080' });
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  return loaded.config;
}
