/**
 * What `switchyard start` prints once it listens: the address actually bound and what it means, whether
 * the gateway is open to anyone (no client keys), the routes, the in-process simulators and how to
 * break them, and copy-paste examples that work as printed (with a key placeholder when keys are on).
 */
import type { Runtime } from '../gateway/runtime/runtime.js';
import { version } from './version.js';

/** What the banner tells (a RunningGateway has it all; declared here so start.ts and this file import one way). */
export interface BannerFacts {
  readonly url: string;
  readonly address: string;
  readonly bound: string;
  readonly loopback: boolean;
  readonly listen: { readonly hostFrom: string; readonly portFrom: string };
  readonly ops: { readonly url: string; readonly bound: string } | undefined;
  readonly deps: { readonly runtime: { readonly current: Runtime } };
  readonly simulators: ReadonlyMap<string, { readonly kind: string; readonly url: string; readonly origin: string }>;
}

/** The shell variable the examples read a client key from, when the config has keys. */
export const keyVariable = 'SWITCHYARD_KEY';

function reach(gw: BannerFacts): string {
  if (gw.address === '0.0.0.0') return `every IPv4 interface (from this machine: ${gw.url})`;
  if (gw.address === '::') return `every interface, IPv6 and (on most systems) IPv4 (from this machine: ${gw.url})`;
  if (gw.loopback) return 'this machine only';
  return 'that interface only';
}

function access(gw: BannerFacts): string {
  const { config } = gw.deps.runtime.current;
  if (config.keys.length === 0) {
    const exposure = gw.loopback
      ? 'Only this machine can connect (set server.host or HOST=0.0.0.0 to listen on every interface).'
      : 'ANYONE WHO CAN REACH THIS ADDRESS CAN USE THE UPSTREAMS: add keys: to the config before exposing it.';
    return `OPEN MODE: no client keys are configured (keys: in the config), so any API key, or none, is accepted.\n  ${exposure}\n`;
  }
  const names = config.keys.map((k) => k.name).join(', ');
  return `Client keys: ${config.keys.length} configured in the config's keys: (${names}); a key is the value of the \${ENV_VAR} its entry names.
  Clients send one as 'Authorization: Bearer <key>'; the examples below read it from $${keyVariable}:
    export ${keyVariable}=<your key>
`;
}

/**
 * A simulator whose fault shows a failover: it is the only endpoint of the first target of a route with
 * fallbacks (a fault on one server of a pool is absorbed by the pool's other servers). With the route.
 */
function failoverDemo(gw: BannerFacts): { sim: string; route: string; to: string } | undefined {
  const byUrl = new Map([...gw.simulators].map(([name, s]) => [s.url, name]));
  for (const route of gw.deps.runtime.current.routes.values()) {
    const first = route.targets[0];
    const endpoints = first?.provider.pool.endpoints ?? [];
    const sim = endpoints.length === 1 ? byUrl.get(endpoints[0]!.url) : undefined;
    const to = [...route.targets.slice(1), ...route.fallbacks][0];
    if (sim && to) return { sim, route: route.name, to: to.id };
  }
  return undefined;
}

function simulators(gw: BannerFacts): string {
  if (gw.simulators.size === 0) return '';
  const width = Math.max(...[...gw.simulators.keys()].map((n) => n.length)) + 2;
  const kindWidth = Math.max(...[...gw.simulators.values()].map((s) => s.kind.length)) + 2;
  const lines = [...gw.simulators].map(
    ([name, s]) => `  ${name.padEnd(width)}${s.kind.padEnd(kindWidth)}${s.url.padEnd(30)} faults: POST ${s.origin}/sim/faults`,
  );
  const demo = failoverDemo(gw);
  const example = demo
    ? `  e.g. the next 2 requests to ${demo.sim} fail with 503, so route '${demo.route}' fails over to ${demo.to}:
    curl -X POST ${gw.simulators.get(demo.sim)!.origin}/sim/faults -d '{"type": "error", "status": 503, "count": 2}'\n`
    : '';
  const adminUrl = `${gw.ops?.url ?? gw.url}/admin/simulators/NAME/faults`;
  const admin = gw.deps.runtime.current.config.server.admin_key
    ? `  The same through the admin API, at a fixed URL (admin key): POST ${adminUrl}`
    : `  The same through the admin API, at a fixed URL, once server.admin_key is set: POST ${adminUrl}`;
  return `
Simulated upstreams (in-process, this machine only); break one and watch the failover:
${lines.join('\n')}
${example}${admin}
`;
}

function examples(gw: BannerFacts, chatRoute: string): string {
  const base = `${gw.url}/v1`;
  const keyed = gw.deps.runtime.current.config.keys.length > 0;
  const body = `'{"model": "${chatRoute}", "messages": [{"role": "user", "content": "Hello!"}]}'`;
  const curlAuth = keyed ? ` -H "Authorization: Bearer $${keyVariable}"` : '';
  const apiKey = keyed ? `process.env.${keyVariable}` : `'anything' /* open mode: any key works */`;
  return `Try it:
  curl ${base}/chat/completions${curlAuth} -H 'Content-Type: application/json' \\
    -d ${body}

  import OpenAI from 'openai';
  const client = new OpenAI({ baseURL: '${base}', apiKey: ${apiKey} });
  const r = await client.chat.completions.create({ model: '${chatRoute}', messages: [{ role: 'user', content: 'Hello!' }] });
  const answer = await client.responses.create({ model: '${chatRoute}', input: 'Hello!' }); // the Responses API

  Anthropic's SDKs and agents: ANTHROPIC_BASE_URL=${gw.url} (the Messages API, POST /v1/messages; "model" names a route)
${passthrough(gw)}`;
}

/** The pass-through entries, as URLs a client calls (none: nothing). */
function passthrough(gw: BannerFacts): string {
  const entries = Object.entries(gw.deps.runtime.current.config.passthrough ?? {});
  if (entries.length === 0) return '';
  const lines = entries.map(([provider, e]) => `  ${gw.url}/passthrough/${provider}{${e.paths.join(', ')}}`);
  return `\nPass-through (the provider's own API, untranslated; the gateway's key in, the provider's key out):\n${lines.join('\n')}\n`;
}

function operations(gw: BannerFacts): string {
  const ops = gw.ops?.url ?? gw.url;
  const where = gw.ops ? ` (operations port ${gw.ops.bound}; the public port answers 404 there)` : '';
  const admin = gw.deps.runtime.current.config.server.admin_key ? `${ops}/admin/state (admin key)` : 'off (set server.admin_key)';
  return `Health: ${gw.url}/health/ready   Metrics: ${ops}/metrics${where}   Admin API: ${admin}`;
}

export function banner(gw: BannerFacts, configPath: string): string {
  const rt = gw.deps.runtime.current;
  const chatRoute = [...rt.routes.values()].find((r) => r.operations.has('chat'))?.name ?? [...rt.routes.keys()][0] ?? 'chat';
  const routes = [...rt.routes.values()].map(
    (r) => `  ${r.name.padEnd(24)} -> ${[...r.targets, ...r.fallbacks].map((d) => d.id).join(', ')}`,
  );
  return `
Switchyard ${version} listening on ${gw.url}   (config: ${configPath})
Bound to ${gw.bound}: ${reach(gw)}   (host from ${gw.listen.hostFrom}; port from ${gw.listen.portFrom})
OpenAI base URL: ${gw.url}/v1

${access(gw)}
Routes (send as "model"):
${routes.join('\n')}
${simulators(gw)}
${examples(gw, chatRoute)}
${operations(gw)}
`;
}
