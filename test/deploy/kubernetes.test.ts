/**
 * deploy/kubernetes/: no cluster runs here, so the manifests are checked by reading them, as
 * ./compose.test.ts checks docker-compose.yml: each against the Kubernetes API schemas (kubernetes-models),
 * then against the repo — the Dockerfile's port, user and entrypoint, the environment the app reads, the
 * paths the real app serves, the config the ConfigMap holds and the shutdown timings it sets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { startTestGateway, demoConfig } from '../support/gateway.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const dir = 'deploy/kubernetes';
const dockerfile = read('Dockerfile');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
}

/** The kubernetes-models class of each kind the manifests use: `validate()` throws on a schema error. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1 ConfigMap': ConfigMap,
  'v1 Service': Service,
  'apps/v1 Deployment': Deployment,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

function validate(doc: Manifest): void {
  const Model = models[`${doc.apiVersion} ${doc.kind}`];
  if (!Model) throw new Error(`${doc.apiVersion} ${doc.kind}: no schema here; add its kubernetes-models class to \`models\``);
  new Model(doc as never).validate();
}

const kustomization = parse(read(`${dir}/kustomization.yaml`)) as { resources: string[] };
const manifests = kustomization.resources.map((file) => ({ file, doc: parse(read(`${dir}/${file}`)) as Manifest }));

function manifest<T>(kind: string, name: string): T {
  const found = manifests.find((m) => m.doc.kind === kind && m.doc.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${dir}`);
  return found.doc as T;
}

const gateway = manifest<IDeployment>('Deployment', 'switchyard');
const pod = gateway.spec!.template;
const container = pod.spec!.containers[0]!;
const service = manifest<IService>('Service', 'switchyard');
const redis = manifest<IDeployment>('Deployment', 'switchyard-redis');
const redisService = manifest<IService>('Service', 'switchyard-redis');
const pdb = manifest<IPodDisruptionBudget>('PodDisruptionBudget', 'switchyard');
const hpa = manifest<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'switchyard');

const env = new Map((container.env ?? []).map((e) => [e.name, e]));
const envValue = (name: string) => env.get(name)?.value;
const containerPort = (name: string) => container.ports!.find((p) => p.name === name)!.containerPort;
const configPath = envValue('SWITCHYARD_CONFIG')!;

/** The ConfigMap the config path is mounted from, and the config text under the file's name. */
const configVolume = pod.spec!.volumes!.find(
  (v) => v.name === container.volumeMounts!.find((m) => m.mountPath === posix.dirname(configPath))?.name,
);
const configMap = manifest<IConfigMap>('ConfigMap', configVolume!.configMap!.name!);
const configText = configMap.data![posix.basename(configPath)]!;

/** Every `${VAR}` the config names, and whether it has a default. */
const configVars = [...configText.matchAll(/\$\{(\w+)(:-[^}]*)?\}/g)].map((m) => ({ name: m[1]!, optional: m[2] !== undefined }));

/**
 * The environment the gateway container gets: literal values as written, a stand-in for each value
 * from a Secret (at least 8 characters, as client keys must be).
 */
function containerEnvironment(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of container.env ?? []) out[e.name] = e.value ?? `stand-in-for-${e.name.toLowerCase()}`;
  return out;
}

function loadGatewayConfig(environment = containerEnvironment()) {
  return loadConfigText(configText, `${dir}/${configMap.metadata!.name}.yaml#${posix.basename(configPath)}`, environment);
}

function gatewayConfig() {
  const r = loadGatewayConfig();
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  return r.config;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The environment variables the app reads: `switchyard --help` lists them (cli/main.ts). */
function appEnvironmentNames(): string[] {
  const line = /^environment: ([A-Z_, ]+);/m.exec(read('cli/main.ts'));
  expect(line, 'cli/main.ts lists the environment it reads').not.toBeNull();
  return line![1]!.split(', ');
}

describe('deploy/kubernetes manifests', () => {
  it('are listed in kustomization.yaml, one resource per file', () => {
    const files = readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const file of files) expect(parseAllDocuments(read(`${dir}/${file}`)), file).toHaveLength(1);
  });

  it.each(manifests.map((m) => [m.file, m.doc] as const))('%s validates against the Kubernetes schema', (_file, doc) => {
    expect(() => validate(doc)).not.toThrow();
  });

  // The validation bites: a copy of each file with one schema error is refused, and says where.
  const broken: [file: string, what: string, breakIt: (doc: never) => void, error: RegExp][] = [
    [
      'gateway-deployment.yaml',
      'a container port that is not a number',
      (d: IDeployment) => (d.spec!.template.spec!.containers[0]!.ports![0]!.containerPort = 'http-port' as unknown as number),
      /spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/,
    ],
    [
      'gateway-deployment.yaml',
      'no selector',
      (d: IDeployment) => Reflect.deleteProperty(d.spec!, 'selector'),
      /data\/spec must have required property '?selector/,
    ],
    [
      'gateway-service.yaml',
      'a port without its number',
      (d: IService) => Reflect.deleteProperty(d.spec!.ports![0]!, 'port'),
      /ports\/0 must have required property '?port/,
    ],
    [
      'gateway-pdb.yaml',
      'maxUnavailable as a list',
      (d: IPodDisruptionBudget) => (d.spec!.maxUnavailable = [1] as unknown as number),
      /spec\/maxUnavailable must be integer/,
    ],
    [
      'gateway-hpa.yaml',
      'no maxReplicas',
      (d: IHorizontalPodAutoscaler) => Reflect.deleteProperty(d.spec!, 'maxReplicas'),
      /spec must have required property '?maxReplicas/,
    ],
    [
      'gateway-configmap.yaml',
      'a data value that is not a string',
      (d: IConfigMap) => (d.data!['switchyard.yaml'] = 42 as unknown as string),
      /data\/switchyard\.yaml must be string/,
    ],
    [
      'redis-deployment.yaml',
      'a container without a name',
      (d: IDeployment) => Reflect.deleteProperty(d.spec!.template.spec!.containers[0]!, 'name'),
      /containers\/0 must have required property '?name/,
    ],
    [
      'redis-service.yaml',
      'a Service type Kubernetes does not have',
      (d: IService) => (d.spec!.type = 'LoadBalancr' as 'LoadBalancer'),
      /spec\/type must be equal to one of the allowed values/,
    ],
  ];
  it.each(broken)('a copy of %s with %s is refused', (file, _what, breakIt, error) => {
    const doc = structuredClone(manifests.find((m) => m.file === file)!.doc);
    breakIt(doc as never);
    expect(() => validate(doc)).toThrow(error);
  });
});

describe('the gateway Deployment', () => {
  it('runs the image of the Dockerfile as its entrypoint expects, on the port it exposes', () => {
    expect(container.image).toMatch(/^[\w.-]+(\/[\w.-]+)+:\d+\.\d+\.\d+$/);
    // The image's ENTRYPOINT (node bin/switchyard.mjs) stays; args replace its CMD.
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!));
    const exposed = Number(/^EXPOSE (\d+)$/m.exec(dockerfile)![1]);
    expect(containerPort('http')).toBe(exposed);
    expect(Number(envValue('PORT'))).toBe(exposed);
    // The config's port agrees, with PORT set and without it (its default).
    expect(gatewayConfig().server.port).toBe(exposed);
    const { PORT: _port, ...withoutPort } = containerEnvironment();
    const r = loadGatewayConfig(withoutPort);
    expect(r.ok && r.config.server.port).toBe(exposed);
  });

  it('gives the gateway only environment the app reads, with secrets from a Secret', () => {
    const appNames = appEnvironmentNames();
    expect(appNames.sort()).toEqual(['HOST', 'LOG_LEVEL', 'PORT', 'REDIS_URL', 'SWITCHYARD_CONFIG']);
    const allowed = new Set([...appNames, ...configVars.map((v) => v.name)]);
    for (const name of env.keys()) expect(allowed.has(name), `${name} is read by neither the app nor the config`).toBe(true);
    // Every variable the config names is supplied (an optional one may come from an optional key).
    for (const v of configVars) expect(env.has(v.name), `\${${v.name}} is named by the config`).toBe(true);
    for (const v of configVars.filter((c) => !appNames.includes(c.name))) {
      const e = env.get(v.name)!;
      expect(e.value, `${v.name} is a secret: from a Secret, never inline`).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef?.key).toBe(v.name);
      expect(e.valueFrom!.secretKeyRef!.optional ?? false).toBe(v.optional);
    }
    expect(container.envFrom ?? []).toEqual([]);
    expect(JSON.stringify(manifests)).not.toMatch(/sk-[A-Za-z0-9-]{8,}/);
    // The environment holds only what is listed (the config reads ${VAR}s from it).
    expect(pod.spec!.enableServiceLinks).toBe(false);
  });

  it('listens on every interface of the pod, as the image does', () => {
    const runtimeStage = dockerfile
      .replace(/\\\n/g, ' ')
      .split(/^(?=FROM )/m)
      .pop()!;
    expect(runtimeStage).toMatch(/^ENV .*\bHOST=0\.0\.0\.0\b/m);
    expect(envValue('HOST')).toBe('0.0.0.0');
  });

  it('mounts the ConfigMap as the directory SWITCHYARD_CONFIG is in, never through subPath', () => {
    const mount = container.volumeMounts!.find((m) => m.name === configVolume!.name)!;
    expect(mount.mountPath).toBe(posix.dirname(configPath));
    expect(mount.subPath).toBeUndefined();
    expect(mount.subPathExpr).toBeUndefined();
    expect(mount.readOnly).toBe(true);
    // Keys become file names as they are: no items remapping them.
    expect(configVolume!.configMap!.items).toBeUndefined();
    expect(Object.keys(configMap.data!)).toContain(posix.basename(configPath));
  });

  it('points REDIS_URL at the Redis Service, which selects the Redis pod on its port', () => {
    const url = new URL(envValue('REDIS_URL')!);
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe(redisService.metadata!.name);
    const port = redisService.spec!.ports!.find((p) => p.port === Number(url.port))!;
    expect(port).toBeDefined();
    const redisContainer = redis.spec!.template.spec!.containers[0]!;
    expect(redisContainer.ports!.find((p) => p.name === port.targetPort)?.containerPort).toBe(6379);
    expect(matches(redisService.spec!.selector!, redis.spec!.template.metadata!.labels)).toBe(true);
    expect(matches(redisService.spec!.selector!, pod.metadata!.labels)).toBe(false);
    expect(gatewayConfig().redis).toBe(envValue('REDIS_URL'));
  });

  it('probes readiness and liveness on the port traffic goes to', () => {
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/health/live', port: 'http' });
  });

  it('probes and scrapes paths the gateway really serves, each on its port', async () => {
    // The demo gateway with an ops port, as the ConfigMap's config has one.
    expect(gatewayConfig().server.ops_port).toBe(containerPort('ops'));
    const gw = await startTestGateway(demoConfig({ serverExtra: 'ops_port: 0' }));
    try {
      expect((await fetch(`${gw.url}${container.readinessProbe!.httpGet!.path}`)).status).toBe(200);
      expect((await fetch(`${gw.url}${container.livenessProbe!.httpGet!.path}`)).status).toBe(200);
      const metricsPath = pod.metadata!.annotations!['prometheus.io/path']!;
      expect((await fetch(`${gw.ops!.url}${metricsPath}`)).status).toBe(200);
      expect((await fetch(`${gw.url}${metricsPath}`)).status).toBe(404);
    } finally {
      await gw.close(500);
    }
  });

  it('serves the ops port on the pod IP for Prometheus, as the pod annotations say', () => {
    const { server } = gatewayConfig();
    expect(server.ops_host).toBe('0.0.0.0');
    expect(Number(pod.metadata!.annotations!['prometheus.io/port'])).toBe(server.ops_port);
    expect(pod.metadata!.annotations!['prometheus.io/scrape']).toBe('true');
  });

  it('outlasts the longest request on SIGTERM: drain delay, then a grace as long as the longest total_ms', () => {
    const { server, routes } = gatewayConfig();
    const longestRequestMs = Math.max(...Object.values(routes).map((r) => r.timeouts.total_ms));
    expect(longestRequestMs).toBe(300_000);
    // Every request still open when the listener closes ends by its own total_ms at the latest, so a
    // grace that long lets each finish (or time out) on its own terms.
    expect(server.shutdown_grace_ms).toBeGreaterThanOrEqual(longestRequestMs);
    // Readiness must have failed (period x threshold) before the drain delay ends.
    const ready = container.readinessProbe!;
    expect(server.drain_delay_ms).toBeGreaterThan(ready.periodSeconds! * ready.failureThreshold! * 1000);
    // routes/shutdown.ts then gives ended requests up to 2 s to write their last bytes; the pod must
    // not be killed before that (a preStop hook would spend this period too: there is none).
    const settleMs = 2_000;
    expect(container.lifecycle?.preStop).toBeUndefined();
    expect(pod.spec!.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(server.drain_delay_ms + server.shutdown_grace_ms + settleMs);
  });

  it('runs as the non-root user of the Dockerfile, on a read-only root filesystem', () => {
    // USER node: uid and gid 1000 in the official node images the Dockerfile builds from.
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile.match(/^FROM (\S+)/gm)!.every((f) => f.startsWith('FROM node:'))).toBe(true);
    const podSecurity = pod.spec!.securityContext!;
    expect(podSecurity).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources!.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources!.limits).toMatchObject({ memory: expect.any(String) });
  });
});

describe('around the gateway Deployment', () => {
  it("the Service selects the gateway pods and targets the container's named ports", () => {
    expect(matches(service.spec!.selector!, pod.metadata!.labels)).toBe(true);
    expect(matches(service.spec!.selector!, redis.spec!.template.metadata!.labels)).toBe(false);
    const names = container.ports!.map((p) => p.name);
    for (const port of service.spec!.ports!) expect(names, `${port.name} targets a named container port`).toContain(port.targetPort);
    expect(service.spec!.ports!.map((p) => p.targetPort).sort()).toEqual(['http', 'ops']);
  });

  it('the HPA owns the replica count (3 at least) and scales the Deployment on CPU against its request', () => {
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: gateway.apiVersion, kind: gateway.kind, name: gateway.metadata!.name });
    expect(hpa.spec!.minReplicas).toBe(3);
    expect(hpa.spec!.maxReplicas).toBeGreaterThan(hpa.spec!.minReplicas!);
    // A replicas field would be reset by every `kubectl apply`, under the HPA.
    expect(gateway.spec!.replicas).toBeUndefined();
    expect(hpa.spec!.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } },
    ]);
    expect(container.resources!.requests!.cpu).toBeDefined();
  });

  it('the PDB covers the gateway pods, and rollouts and drains keep capacity', () => {
    expect(pdb.spec!.selector!.matchLabels).toEqual(gateway.spec!.selector.matchLabels);
    expect(matches(pdb.spec!.selector!.matchLabels!, pod.metadata!.labels)).toBe(true);
    expect(pdb.spec!.maxUnavailable).toBe(1);
    expect(pdb.spec!.minAvailable).toBeUndefined();
    expect(gateway.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  it('Redis is one redis:7 pod that keeps nothing on disk', () => {
    expect(redis.spec!.replicas).toBe(1);
    expect(redis.spec!.strategy!.type).toBe('Recreate');
    const redisContainer = redis.spec!.template.spec!.containers[0]!;
    expect(redisContainer.image).toMatch(/^redis:7(\.|$|-)/);
    const args = redisContainer.args!;
    expect(args[args.indexOf('--save') + 1]).toBe('');
    expect(args[args.indexOf('--appendonly') + 1]).toBe('no');
  });
});

describe('the ConfigMap', () => {
  it('the ConfigMap holds a config the gateway accepts', () => {
    // Every ${VAR} the file names is supplied, as the Deployment supplies it (secrets as stand-ins).
    const environment = containerEnvironment();
    for (const v of configVars) expect(environment[v.name], v.name).toBeDefined();
    const r = loadGatewayConfig(environment);
    expect(r.ok ? [] : r.errors.map(formatIssue)).toEqual([]);
    // No warnings: no secret written inline.
    expect(r.warnings.map(formatIssue)).toEqual([]);
  });
});
