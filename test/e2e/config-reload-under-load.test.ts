/**
 * Hot reload under load, and POST /admin/reload. A gateway started from a file (startSwitchyard with
 * `configPath`, the way `switchyard start` runs it) is reloaded 40 times — the file rewritten 20 times
 * (the watch) and the admin endpoint called after each — while streams and non-streams run without a
 * pause: every request is answered once and successfully (upstreams saw as many requests as the clients
 * sent, the gateway counted as many answers, each with its own id). A broken file is refused with every
 * error at file:line:col, counted, and the old config serves on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, loadConfigFile } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';
import { demoConfig, startTestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const adminKey = 'adm-reload-0123456789';

/** Both keep route `chat`; the odd one shifts its weights and adds route `second`. */
const configText = (odd: boolean, server = '') => `
version: 1
server: { port: 0, ops_port: 0, admin_key: ${adminKey}${server} }
simulators:
  a: { kind: openai, model: m-2024-07-18, ttft_ms: 15, tpot_ms: 2, output_tokens: 8 }
  b: { kind: openai, model: m-2024-07-18, ttft_ms: 15, tpot_ms: 2, output_tokens: 8 }
providers:
  pa: { type: openai, base_url: sim://a }
  pb: { type: openai, base_url: sim://b }
deployments:
  a: { provider: pa, model: m-2024-07-18 }
  b: { provider: pb, model: m-2024-07-18 }
routes:
  chat: { targets: [a, b], strategy: weighted, weights: { a: ${odd ? 1 : 3}, b: ${odd ? 3 : 1} } }
${odd ? '  second: { targets: [b] }' : ''}
`;

let dir: string;
let file: string;
let gw: RunningGateway;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-reload-load-'));
  file = join(dir, 'switchyard.yaml');
  writeFileSync(file, configText(false));
  const loaded = loadConfigFile(file);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  gw = await startSwitchyard({
    config: loaded.config,
    configPath: file,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    processMetrics: false,
    env: {},
  });
});
afterAll(async () => {
  await gw?.close(1000);
  rmSync(dir, { recursive: true, force: true });
});

const reloadByAdmin = (origin = gw.ops!.url, key = adminKey) =>
  fetch(`${origin}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });

async function reloads(result: 'reloaded' | 'error'): Promise<number> {
  const metric = await gw.deps.metrics.configReloads.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

interface Answered {
  requestId: string | null;
  completionId: string;
  text: string;
}

/** One request with a content no other request has; a stream or not. */
async function ask(client: OpenAI, n: number): Promise<Answered> {
  const messages = [{ role: 'user' as const, content: `request ${n}` }];
  if (n % 2 === 0) {
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages }).withResponse();
    return { requestId: response.headers.get('x-request-id'), completionId: data.id, text: data.choices[0]!.message.content ?? '' };
  }
  const { data: stream, response } = await client.chat.completions.create({ model: 'chat', messages, stream: true }).withResponse();
  let text = '';
  let completionId = '';
  let finished = false;
  for await (const chunk of stream) {
    completionId = chunk.id;
    text += chunk.choices[0]?.delta.content ?? '';
    finished ||= chunk.choices[0]?.finish_reason === 'stop' || chunk.choices[0]?.finish_reason === 'length';
  }
  if (!finished) throw new Error(`stream ${n} ended without a finish_reason`);
  return { requestId: response.headers.get('x-request-id'), completionId, text };
}

describe('config reload under load', () => {
  it('reloads 40 times (20 file rewrites, 20 POST /admin/reload) while every request is answered exactly once', async () => {
    // No SDK retries: a request the gateway failed must show as failed, not be hidden by a second try.
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 });
    const answered: Answered[] = [];
    const failed: string[] = [];
    let sent = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const n = sent++;
        try {
          answered.push(await ask(client, n));
        } catch (err) {
          failed.push(`request ${n}: ${(err as Error).message}`);
        }
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    const reloadedBefore = await reloads('reloaded');

    let busyAtReload = 0;
    for (let i = 1; i <= 20; i++) {
      const odd = i % 2 === 1;
      writeFileSync(file, configText(odd));
      await pollUntil(() => gw.deps.runtime.current.routes.has('second') === odd, `rewrite ${i} reloaded by the watch`);
      if (gw.deps.state.inFlight > 0) busyAtReload += 1;
      const res = await reloadByAdmin();
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        result: 'reloaded',
        routes: odd ? ['chat', 'second'] : ['chat'],
        deployments: ['a', 'b'],
        restart_needed: [],
      });
    }
    stop = true;
    await Promise.all(workers);

    expect(failed).toEqual([]);
    expect(answered).toHaveLength(sent);
    expect(sent).toBeGreaterThan(100);
    expect(busyAtReload, 'reloads that happened with requests in flight').toBeGreaterThanOrEqual(15);
    for (const a of answered) expect(a.text.length).toBeGreaterThan(0);
    // Each answer is its own: one request id and one upstream completion per client request.
    expect(new Set(answered.map((a) => a.requestId)).size).toBe(sent);
    expect(new Set(answered.map((a) => a.completionId)).size).toBe(sent);
    // Upstream saw each request once (no retry, failover or hedge sent one twice) and finished every answer.
    const upstream = [...gw.simulators.values()].map((s) => s.stats());
    expect(upstream.reduce((sum, s) => sum + s.byOperation.chat, 0)).toBe(sent);
    expect(upstream.reduce((sum, s) => sum + s.completed, 0)).toBe(sent);
    expect(upstream.every((s) => s.byOperation.chat > 0)).toBe(true);
    // The gateway answered each request once, all 2xx.
    const requests = (await gw.deps.metrics.requests.get()).values;
    expect(requests.reduce((sum, v) => sum + v.value, 0)).toBe(sent);
    expect(requests.every((v) => v.labels.status_class === '2xx')).toBe(true);

    expect((await reloads('reloaded')) - reloadedBefore).toBeGreaterThanOrEqual(40);
    expect(await reloads('error')).toBe(0);
    const lastSuccess = (await gw.deps.metrics.configLastReloadSuccess.get()).values[0]!.value;
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 30);
  }, 60_000);

  it('refuses a broken file with every error at file:line:col (400 config_invalid), counts it, and keeps serving the old config', async () => {
    writeFileSync(file, configText(false));
    expect((await reloadByAdmin()).status).toBe(200);
    const broken = configText(false).replace('targets: [a, b]', 'targets: [a, missing]').replace('version: 1', 'version: 1\ncolour: blue');
    writeFileSync(file, broken);
    const errorsBefore = await reloads('error');
    const res = await reloadByAdmin();
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string; param: null; code: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'config_invalid' });
    expect(body.error.message).toContain('still serving the previous config');
    const at = (path: string) => new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: ${path.replace(/[.[\]]/g, '\\$&')}`);
    expect(body.error.message).toMatch(at('colour'));
    expect(body.error.message).toMatch(at('routes.chat.targets'));
    expect(await reloads('error')).toBeGreaterThan(errorsBefore);

    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'still there?' }] });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    expect([...gw.deps.runtime.current.deployments.keys()].sort()).toEqual(['a', 'b']);

    // Fixed, with a setting bound at start changed: applied, and the answer says what needs a restart.
    writeFileSync(file, configText(true, ', drain_delay_ms: 10'));
    const fixed = await reloadByAdmin();
    expect(fixed.status).toBe(200);
    expect(await fixed.json()).toMatchObject({ result: 'reloaded', routes: ['chat', 'second'], restart_needed: ['server'] });
  }, 20_000);

  it('needs the admin key, and is served on the ops port only', async () => {
    expect((await reloadByAdmin(gw.ops!.url, 'adm-wrong-guess-000')).status).toBe(401);
    expect((await fetch(`${gw.ops!.url}/admin/reload`, { method: 'POST' })).status).toBe(401);
    expect((await reloadByAdmin(gw.url)).status).toBe(404);
  });

  it('answers 409 no_config_file on a gateway started from a config in memory', async () => {
    const key = 'adm-memory-0123456789';
    const memory = await startTestGateway(demoConfig({ serverExtra: 'admin_key: ${ADMIN_KEY}' }), { ADMIN_KEY: key });
    try {
      const res = await reloadByAdmin(memory.url, key);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_config_file');
    } finally {
      await memory.close(500);
    }
  });
});
