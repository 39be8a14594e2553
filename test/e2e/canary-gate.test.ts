/**
 * A canary's gate end to end (`routes.<name>.canary.gate`): the eval suite, a path relative to the
 * config file, runs in the gateway on the canary variant before the canary gets any traffic. A healthy
 * canary goes gating → running and then gets its share; a failing one (its upstream answers 500, or its
 * answers miss the suite's expectations) stops at gate_failed with 0 %, the reason naming the failed
 * cases, and no client request reaches it; resume re-runs the gate.
 *
 * The config is written to a temporary directory with the suites beside it (in evals/), and the gateway
 * started with that configPath; each test starts its own (a rollout's state outlives config reloads).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { formatIssue, loadConfigFile } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';
import { pollUntil } from '../support/poll.js';

const fixtures = fileURLToPath(new URL('../fixtures/evals/', import.meta.url));
const adminKey = 'adm-gate-0123456789';
const admin = { authorization: `Bearer ${adminKey}` };

function configWith(gate: string): string {
  return `
version: 1
server: { admin_key: ${adminKey} }
simulators:
  stable-sim: { kind: openai, model: m-2024-08-06, ttft_ms: 2, tpot_ms: 0, output_tokens: 8 }
  canary-sim: { kind: openai, model: m-2025-01-01, ttft_ms: 2, tpot_ms: 0, output_tokens: 8 }
providers:
  stable-sim: { type: openai, base_url: sim://stable-sim }
  canary-sim: { type: openai, base_url: sim://canary-sim }
deployments:
  stable: { provider: stable-sim, model: m-2024-08-06 }
  # Short breaker and ejection: a canary that failed its gate is tried again soon after it is fixed.
  next:
    provider: canary-sim
    model: m-2025-01-01
    breaker: { reset_ms: 200, max_reset_ms: 400, probe_interval_ms: 100 }
    outlier: { base_ejection_ms: 200, max_ejection_ms: 400 }
routes:
  chat:
    targets: [stable]
    canary: { targets: [next], percent: 50, sticky: none, guard: false, gate: ${gate} }
`;
}

interface Report {
  status: string;
  percent: number;
  reason: string | null;
  cause: string | null;
  gate: { suite: string; last: { passed: boolean; summary: string } | null } | null;
  history: { status: string; percent: number; reason: string | null }[];
}

let running: { gw: RunningGateway; dir: string } | undefined;
afterEach(async () => {
  await running?.gw.close(1000);
  if (running) rmSync(running.dir, { recursive: true, force: true });
  running = undefined;
});

/**
 * Writes the config (and the gate suites, in evals/ beside it) to a new directory and starts a gateway
 * from it. The board's first tick, which starts the gate, comes half a second after the start: a fault
 * set at once is in place for the gate.
 */
async function start(gate: string): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-gate-'));
  mkdirSync(join(dir, 'evals'));
  for (const f of ['canary-gate.yaml', 'canary-gate-strict.yaml']) copyFileSync(join(fixtures, f), join(dir, 'evals', f));
  const path = join(dir, 'switchyard.yaml');
  writeFileSync(path, configWith(gate));
  const loaded = loadConfigFile(path, {});
  if (!loaded.ok) throw new Error(`test config invalid:\n${loaded.errors.map(formatIssue).join('\n')}`);
  const gw = await startSwitchyard({
    config: loaded.config,
    configPath: path,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    processMetrics: false,
    env: {},
  });
  running = { gw, dir };
  return gw;
}

const sim = (gw: RunningGateway, name: string) => gw.simulators.get(name)!;

async function report(gw: RunningGateway): Promise<Report> {
  const res = await fetch(`${gw.url}/admin/canaries/chat`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

async function act(gw: RunningGateway, action: string) {
  const res = await fetch(`${gw.url}/admin/canaries/chat/${action}`, { method: 'POST', headers: admin });
  return { status: res.status, body: (await res.json()) as Report & { error?: { code: string; message: string } } };
}

const client = (gw: RunningGateway) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'test-key', maxRetries: 0, timeout: 20_000 });

/** `count` client requests (every other one a stream), four at a time: the variant and deployment of each. */
async function traffic(gw: RunningGateway, count: number): Promise<{ variant: string | null; deployment: string | null }[]> {
  const out: { variant: string | null; deployment: string | null }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const messages = [{ role: 'user' as const, content: 'hi' }];
      if (i % 2 === 0) {
        const { data, response } = await client(gw).chat.completions.create({ model: 'chat', messages, stream: true }).withResponse();
        for await (const chunk of data) void chunk;
        out.push({ variant: response.headers.get('x-switchyard-variant'), deployment: response.headers.get('x-switchyard-deployment') });
      } else {
        const { response } = await client(gw).chat.completions.create({ model: 'chat', messages }).withResponse();
        out.push({ variant: response.headers.get('x-switchyard-variant'), deployment: response.headers.get('x-switchyard-deployment') });
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return out;
}

/** Requests forced onto the canary (the admin's header) until its own deployment answers one. */
async function untilCanaryAnswers(gw: RunningGateway): Promise<void> {
  const forced = { 'x-switchyard-variant': 'canary', 'x-switchyard-admin-key': adminKey };
  await pollUntil(
    async () => {
      const { response } = await client(gw)
        .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }, { headers: forced })
        .withResponse();
      return response.headers.get('x-switchyard-deployment') === 'next';
    },
    'the canary deployment to answer again',
    { limitMs: 10_000, everyMs: 100 },
  );
}

describe('a canary gate', () => {
  it('holds the canary at 0 % while the suite runs, then lets it run once the suite passes', async () => {
    const gw = await start('evals/canary-gate.yaml');
    // The canary answers slowly for now: the gate takes a while, and clients meanwhile get stable only.
    sim(gw, 'canary-sim').setFaults([{ type: 'slow_first_token', delay_ms: 1500 }]);
    const gating = await report(gw);
    expect(gating.status).toBe('gating');
    expect(gating.percent).toBe(0);
    expect(gating.reason).toBe('waiting for the eval suite evals/canary-gate.yaml to pass');
    expect(gating.gate).toEqual({ suite: 'evals/canary-gate.yaml', last: null });
    const during = await traffic(gw, 12);
    expect(during.every((a) => a.variant === 'stable' && a.deployment === 'stable')).toBe(true);
    expect((await report(gw)).status).toBe('gating');

    await pollUntil(async () => (await report(gw)).status !== 'gating', 'the gate to finish', { limitMs: 10_000, everyMs: 50 });
    sim(gw, 'canary-sim').clearFaults();
    const passed = await report(gw);
    expect(passed.status).toBe('running');
    expect(passed.percent).toBe(50);
    expect(passed.reason).toBe('gate passed: 2/2 cases of canary-gate passed');
    expect(passed.gate!.last).toMatchObject({ passed: true, summary: '2/2 cases of canary-gate passed' });
    expect(passed.history.map((h) => [h.status, h.percent])).toEqual([
      ['gating', 0],
      ['running', 50],
    ]);
    // The gate's cases went to the canary's simulator: one request each (no retry: they passed).
    expect(sim(gw, 'canary-sim').stats().byOperation.chat).toBe(2);

    const after = await traffic(gw, 40);
    const onCanary = after.filter((a) => a.variant === 'canary');
    expect(onCanary.length).toBeGreaterThan(5);
    expect(onCanary.every((a) => a.deployment === 'next')).toBe(true);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_canary_status{route="chat",status="running"} 1');
    expect(metrics).toContain('switchyard_canary_percent{route="chat"} 50');
  });

  it('stops a canary whose upstream fails at gate_failed, with no client traffic; resume after the fix re-runs the gate', async () => {
    const gw = await start('evals/canary-gate.yaml');
    sim(gw, 'canary-sim').setFaults([{ type: 'error', status: 500, message: 'the new model is broken' }]);
    await pollUntil(async () => (await report(gw)).status !== 'gating', 'the gate to finish', { limitMs: 10_000, everyMs: 50 });
    const failed = await report(gw);
    expect(failed.status).toBe('gate_failed');
    expect(failed.percent).toBe(0);
    expect(failed.cause).toBe('gate');
    expect(failed.reason).toMatch(/^gate failed: 0\/2 cases of canary-gate passed \(answers-in-words: .*; answers-a-conversation: .*\)$/);
    // The canary's failures fell back to stable, which is not the canary answering.
    expect(failed.reason).toMatch(/answers-in-words: the canary failed \(next:server[^)]*\); stable answered/);
    expect(failed.gate!.last!.passed).toBe(false);
    let metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_canary_status{route="chat",status="gate_failed"} 1');
    expect(metrics).toContain('switchyard_canary_percent{route="chat"} 0');

    // No client request reaches the canary's simulator.
    const gateRequests = sim(gw, 'canary-sim').stats().requests;
    expect(gateRequests).toBeGreaterThanOrEqual(2);
    const blocked = await traffic(gw, 40);
    expect(blocked.every((a) => a.variant === 'stable' && a.deployment === 'stable')).toBe(true);
    expect(sim(gw, 'canary-sim').stats().requests).toBe(gateRequests);
    // It stays there: nothing but an operator starts it again.
    await new Promise((r) => setTimeout(r, 700));
    expect((await report(gw)).status).toBe('gate_failed');
    expect((await act(gw, 'pause')).status).toBe(409);

    // Fixed: once the canary deployment answers again, resume runs the gate again and it passes.
    sim(gw, 'canary-sim').clearFaults();
    await untilCanaryAnswers(gw);
    const resumed = await act(gw, 'resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('gating');
    expect(resumed.body.percent).toBe(0);
    await pollUntil(async () => (await report(gw)).status !== 'gating', 'the gate to run again', { limitMs: 10_000, everyMs: 50 });
    const passed = await report(gw);
    expect(passed.status).toBe('running');
    expect(passed.percent).toBe(50);
    expect(passed.cause).toBeNull();
    expect(passed.gate!.last!.passed).toBe(true);
    expect(passed.history.map((h) => h.status)).toEqual(['gating', 'gate_failed', 'gating', 'running']);
    const after = await traffic(gw, 40);
    expect(after.filter((a) => a.variant === 'canary' && a.deployment === 'next').length).toBeGreaterThan(5);
    metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_canary_status{route="chat",status="running"} 1');
  });

  it('fails the gate on answers that miss the expectations, naming the cases', async () => {
    const gw = await start('evals/canary-gate-strict.yaml');
    await pollUntil(async () => (await report(gw)).status !== 'gating', 'the gate to finish', { limitMs: 10_000, everyMs: 50 });
    const failed = await report(gw);
    expect(failed.status).toBe('gate_failed');
    expect(failed.percent).toBe(0);
    expect(failed.reason).toMatch(/^gate failed: 1\/3 cases of canary-gate-strict passed \(/);
    expect(failed.reason).toContain('names-a-fruit: does not contain');
    expect(failed.reason).toContain('answers-in-json: ');
    expect(failed.reason).not.toContain('answers-in-words');
    // The canary answered (no failure): the answers themselves failed.
    expect(sim(gw, 'canary-sim').stats().requests).toBe(3);
    expect(sim(gw, 'stable-sim').stats().requests).toBe(0);
    const blocked = await traffic(gw, 20);
    expect(blocked.every((a) => a.variant === 'stable')).toBe(true);
    expect(sim(gw, 'canary-sim').stats().requests).toBe(3);
  });

  it('fails the gate, with why, when the suite file is missing', async () => {
    const gw = await start('evals/no-such-suite.yaml');
    await pollUntil(async () => (await report(gw)).status !== 'gating', 'the gate to finish', { limitMs: 10_000, everyMs: 50 });
    const failed = await report(gw);
    expect(failed.status).toBe('gate_failed');
    expect(failed.percent).toBe(0);
    expect(failed.reason).toMatch(/^gate failed: the suite evals\/no-such-suite\.yaml is invalid: /);
    expect(sim(gw, 'canary-sim').stats().requests).toBe(0);
  });
});
