/**
 * No Docker engine runs here, so the packaging is checked by reading it: the compose file against the
 * Dockerfile, the gateway config it mounts, nginx's upstream, and the paths the real app serves.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
