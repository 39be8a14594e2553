/**
 * No Docker engine runs here, so the packaging is checked by reading it: the compose file against the
 * Dockerfile, the gateway config it mounts, nginx's upstream and image, what the runtime image ships,
 * and the paths the real app serves. (nginx.conf itself runs on a real nginx in ./nginx.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { parse } from 'yaml';
import { loadConfigFile, formatIssue } from '../../config/loader.js';
import { startTestGateway, demoConfig } from '../support/gateway.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (f: string) => readFileSync(join(root, f), 'utf8');

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  expose?: string[];
  ports?: string[];
  deploy?: { replicas?: number };
  depends_on?: Record<string, unknown> | string[];
  healthcheck?: { test: string[] };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const dockerfile = read('Dockerfile');
const documentedEnv = ['SWITCHYARD_CONFIG', 'PORT', 'REDIS_URL', 'LOG_LEVEL'];

/** The Dockerfile's stages (from each FROM), continuation lines joined. */
const stages = dockerfile
  .replace(/\\\n/g, ' ')
  .split(/^(?=FROM )/m)
  .filter((s) => s.startsWith('FROM '));
const runtimeStage = () => stages[stages.length - 1]!;

/** The runtime stage's ENV variables. */
function runtimeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, line] of runtimeStage().matchAll(/^ENV (.*)$/gm)) {
    for (const [, name, value] of line!.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
  }
  return env;
}

/** npm packages imported by the files the image compiles (tsconfig.build.json), type-only imports included. */
function builtSourceImports(): Set<string> {
  const { include } = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
  const names = new Set<string>();
  for (const folder of include) {
    for (const file of readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      for (const { fileName } of ts.preProcessFile(read(join(folder, file)), true, true).importedFiles) {
        if (fileName.startsWith('.') || fileName.startsWith('node:')) continue;
        names.add(
          fileName
            .split('/')
            .slice(0, fileName.startsWith('@') ? 2 : 1)
            .join('/'),
        );
      }
    }
  }
  return names;
}

describe('docker-compose.yml', () => {
  it('runs two gateway replicas behind nginx, with redis and a simulated GPU pool', () => {
    expect(services.gateway?.deploy?.replicas).toBe(2);
    expect(services.nginx?.image).toMatch(/^nginx:/);
    expect(services.redis?.image).toMatch(/^redis:/);
    for (const sim of ['gpu-a', 'gpu-b']) expect(services[sim]?.command?.slice(0, 3)).toEqual(['sim', '--kind', 'vllm']);
  });

  it('gives the gateway only documented environment variables, and no secrets inline', () => {
    const env = services.gateway!.environment!;
    expect(Object.keys(env).sort()).toEqual([...documentedEnv].sort());
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(JSON.stringify(compose)).not.toMatch(/sk-[A-Za-z0-9]{8,}/);
  });

  it('mounts a config that validates and points at the compose services on their ports', () => {
    const gw = services.gateway!;
    const mount = gw.volumes!.find((v) => v.includes(gw.environment!.SWITCHYARD_CONFIG!))!;
    const hostFile = mount.split(':')[0]!.replace(/^\.\//, '');
    const r = loadConfigFile(join(root, hostFile), { PORT: gw.environment!.PORT! });
    if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
    expect(r.config.server.port).toBe(Number(gw.environment!.PORT));
    expect(gw.expose).toContain(gw.environment!.PORT);
    const urls = Object.values(r.config.providers).flatMap((p) => p.endpoints ?? [p.base_url!]);
    for (const url of urls) {
      const u = new URL(url);
      const svc = services[u.hostname];
      expect(svc, `${url} names no compose service`).toBeDefined();
      const port = svc!.command![svc!.command!.indexOf('--port') + 1];
      expect(u.port).toBe(port);
      expect(svc!.command).toContain('0.0.0.0');
      expect(Object.keys(gw.depends_on as Record<string, unknown>)).toContain(u.hostname);
    }
  });

  it('pins an nginx image whose version has every directive nginx.conf uses', () => {
    const tag = /^nginx:(\d+)\.(\d+)\.(\d+)-alpine$/.exec(services.nginx!.image!);
    expect(tag, `${services.nginx!.image} is pinned to a patch release`).not.toBeNull();
    const version = tag!.slice(1, 4).map(Number);
    // `server NAME resolve;` in an upstream block: open-source nginx 1.27.3 and later.
    if (/^\s*server \S+ [^;]*\bresolve\b/m.test(read('deploy/nginx/nginx.conf'))) {
      expect(version[0]! * 1e6 + version[1]! * 1e3 + version[2]!).toBeGreaterThanOrEqual(1_027_003);
    }
  });

  it("points nginx at the gateway's port, unbuffered for streams", () => {
    const nginx = read('deploy/nginx/nginx.conf');
    expect(nginx).toContain(`server gateway:${services.gateway!.environment!.PORT}`);
    expect(nginx).toMatch(/proxy_buffering off;/);
    expect(services.nginx!.volumes!.some((v) => v.startsWith('./deploy/nginx/nginx.conf:'))).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, runs as a non-root user, and exposes the port compose uses', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${services.gateway!.environment!.PORT}$`, 'm'));
  });

  it('builds and runs on the current Node LTS (24), every stage the same', () => {
    const images = [...dockerfile.matchAll(/^FROM (node:\S+)/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) expect(image).toMatch(/^node:24-/);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines).toContain('>=24');
  });

  it('runs with HOST=0.0.0.0: in a container the gateway must listen on every interface', () => {
    expect(runtimeEnv().HOST).toBe('0.0.0.0');
  });

  it('sets no PORT, so the server.port of a mounted config is not silently overridden (compose sets it explicitly)', () => {
    expect(runtimeEnv().PORT).toBeUndefined();
    expect(services.gateway!.environment!.PORT).toBe('8080');
  });

  it('ships only the compiled build and the packages it imports: no tsx, no TypeScript', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const build = stages[0]!;
    // tsx stays a production dependency for checkouts (`npm install && npm start` runs the sources
    // through it); the build stage drops it before pruning, so the image's node_modules lacks it.
    expect(pkg.dependencies.tsx).toBeDefined();
    expect(pkg.devDependencies.typescript).toBeDefined();
    const dropped = [...build.matchAll(/npm pkg delete dependencies\.(\S+)/g)].map((m) => m[1]!);
    expect(dropped).toContain('tsx');
    expect(build.indexOf('npm pkg delete dependencies.tsx')).toBeLessThan(build.indexOf('npm prune --omit=dev'));
    expect(build).toContain('test ! -e node_modules/tsx');
    // Every package the compiled sources import is kept.
    const imported = builtSourceImports();
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported) {
      expect(pkg.dependencies[name], `${name} is imported by the build: a production dependency`).toBeDefined();
      expect(dropped, `${name} is imported by the build`).not.toContain(name);
    }
    // The runtime stage takes node_modules from the pruned build stage and no TypeScript source, so
    // bin/switchyard.mjs runs dist/ (it loads tsx only when cli/main.ts exists beside it).
    const copies = [...runtimeStage().matchAll(/^COPY (?:--from=(\S+) )?(?:--chown=\S+ )?(\S+) (\S+)$/gm)].map((m) => ({
      from: m[1],
      src: m[2]!,
    }));
    expect(copies.find((c) => c.src === '/app/node_modules')?.from).toBe('build');
    expect(copies.map((c) => c.src).sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json', 'bin/switchyard.mjs']);
  });

  it('copies every source folder the build needs', () => {
    const tsconfig = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const folder of tsconfig.include) expect(dockerfile).toContain(`COPY ${folder} ./${folder}`);
  });

  it('health-checks paths the gateway and the simulators really serve', async () => {
    const healthPath = /HEALTHCHECK[\s\S]*?fetch\('http:\/\/127\.0\.0\.1:'\+\(process\.env\.PORT\|\|(\d+)\)\+'(\/[^']+)'\)/.exec(
      dockerfile,
    );
    expect(healthPath).not.toBeNull();
    const simHealth = /fetch\('http:\/\/127\.0\.0\.1:(\d+)(\/[^']+)'\)/.exec(JSON.stringify(services['gpu-a']!.healthcheck!.test))!;
    const gw = await startTestGateway(demoConfig());
    try {
      expect((await fetch(`${gw.url}${healthPath![2]}`)).status).toBe(200);
      expect((await fetch(`${gw.sim('gpu-a').origin}${simHealth[2]}`)).status).toBe(200);
    } finally {
      await gw.close(500);
    }
  });
});
