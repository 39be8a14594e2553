/**
 * Safe rollouts end to end, with the openai SDK against a real gateway and two simulators (stable and
 * canary): the guard rolls a failing canary back by itself (no client request fails meanwhile: the
 * canary's failures fall back to stable), and leaves a healthy one alone; an operator resumes, promotes
 * and is refused what the status does not allow (POST /admin/canaries/{route}/{action}); a ramp climbs
 * its steps while the guard holds, or on time alone without a guard.
 *
 * Each test starts its own gateway: a rollout's state lives in the process's canary board, which
 * outlives config reloads (so a fresh reload would not start a rollout afresh).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const adminKey = 'adm-rollback-0123456789';

function configWith(canary: string): string {
  return `
version: 1
server: { admin_key: ${adminKey} }
simulators:
  stable-sim: { kind: openai, model: m-2024-08-06, ttft_ms: 3, tpot_ms: 1, output_tokens: 6 }
  canary-sim: { kind: openai, model: m-2025-01-01, ttft_ms: 3, tpot_ms: 1, output_tokens: 6 }
providers:
  stable-sim: { type: openai, base_url: sim://stable-sim }
  canary-sim: { type: openai, base_url: sim://canary-sim }
deployments:
  stable: { provider: stable-sim, model: m-2024-08-06, price: { input_per_mtok: 1, output_per_mtok: 2 } }
  # The canary's breaker and ejection are short, so that a fixed canary is tried again soon.
  next:
    provider: canary-sim
    model: m-2025-01-01
    price: { input_per_mtok: 1, output_per_mtok: 2 }
    breaker: { reset_ms: 200, max_reset_ms: 400, probe_interval_ms: 100 }
    outlier: { base_ejection_ms: 200, max_ejection_ms: 400 }
routes:
  chat:
    targets: [stable]
    canary: ${canary}
`;
}

const fastGuard = '{ window: 30s, interval: 200ms, min_requests: 20 }';

let running: TestGateway | undefined;
afterEach(async () => {
  await running?.close(1000);
  running = undefined;
});

async function start(canary: string): Promise<TestGateway> {
  running = await startTestGateway(configWith(canary));
  return running;
}

interface GuardCheck {
  metric: string;
  regressed: boolean;
}

interface Report {
  route: string;
  status: string;
  percent: number;
  reason: string | null;
  cause: string | null;
  ramp: { steps: { percent: number; hold_ms: number }[]; step: number } | null;
  guard: { last: { verdict: string; checks?: GuardCheck[] } | null } | null;
  window: { stable: { requests: number }; canary: { requests: number } } | null;
  history: { status: string; percent: number; step: number; reason: string | null }[];
}

const admin = { authorization: `Bearer ${adminKey}` };

async function report(gw: TestGateway, route = 'chat'): Promise<Report> {
  const res = await fetch(`${gw.url}/admin/canaries/${route}`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

async function act(gw: TestGateway, action: string, route = 'chat', headers: Record<string, string> = admin) {
  const res = await fetch(`${gw.url}/admin/canaries/${route}/${action}`, { method: 'POST', headers });
  return { status: res.status, body: (await res.json()) as Report & { error?: { message: string; code: string; type: string } } };
}

async function metrics(gw: TestGateway): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

/** The value of the sample of `name` with (at least) these labels; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.indexOf('} ');
    const body = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(line.slice(close + 2));
  }
  return undefined;
}

interface Answer {
  variant: string | null;
  deployment: string | null;
  model: string;
  startedAfter: string;
}

/**
 * One chat request, stream or not, read to its end: which variant and deployment served it. `tag`
 * says what phase the test was in when the request was sent (kept with the answer).
 */
async function ask(gw: TestGateway, stream: boolean, tag: string): Promise<Answer> {
  const client = gw.client({ timeout: 20_000 });
  const messages = [{ role: 'user' as const, content: 'Say something' }];
  if (stream) {
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages, stream: true }).withResponse();
    let model = '';
    let text = '';
    for await (const chunk of data) {
      model ||= chunk.model;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).not.toBe('');
    return {
      variant: response.headers.get('x-switchyard-variant'),
      deployment: response.headers.get('x-switchyard-deployment'),
      model,
      startedAfter: tag,
    };
  }
  const { data, response } = await client.chat.completions.create({ model: 'chat', messages }).withResponse();
  expect(data.choices[0]!.message.content).toBeTruthy();
  return {
    variant: response.headers.get('x-switchyard-variant'),
    deployment: response.headers.get('x-switchyard-deployment'),
    model: data.model,
    startedAfter: tag,
  };
}

/**
 * Sends `count` requests, `concurrency` at a time, every third a stream; `phase()` tags each request as
 * it is sent. Every failure is collected (none is expected), not thrown.
 */
async function drive(
  gw: TestGateway,
  count: number,
  phase: () => string,
  concurrency = 8,
): Promise<{ answers: Answer[]; errors: string[] }> {
  const answers: Answer[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        answers.push(await ask(gw, i % 3 === 0, phase()));
      } catch (err) {
        errors.push(`request ${i} (${i % 3 === 0 ? 'stream' : 'unary'}): ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { answers, errors };
}

describe('the canary guard', () => {
  it('rolls a failing canary back by itself; no client request fails on the way; then resume and promote', async () => {
    const gw = await start(`{ targets: [next], percent: 50, sticky: none, guard: ${fastGuard} }`);
    expect((await report(gw)).status).toBe('running');

    // Healthy for a while, then the canary's upstream fails every request.
    const healthy = await drive(gw, 40, () => 'healthy');
    expect(healthy.errors).toEqual([]);
    expect(healthy.answers.filter((a) => a.variant === 'canary').length).toBeGreaterThan(5);
    expect(healthy.answers.filter((a) => a.variant === 'canary').every((a) => a.deployment === 'next' && a.model === 'm-2025-01-01')).toBe(
      true,
    );
    gw.sim('canary-sim').setFaults([{ type: 'error', status: 500 }]);

    // Traffic until the rollback shows in /admin/canaries, then some more: the phase says which requests
    // were sent once the rollback had been seen.
    let phase = 'failing';
    let failingSent = 0;
    const watcher = pollUntil(
      async () => {
        const s = await report(gw);
        if (s.status === 'rolled_back') phase = 'rolled_back';
        return phase === 'rolled_back';
      },
      'the guard to roll the failing canary back',
      { limitMs: 10_000, everyMs: 50 },
    );
    const traffic: { answers: Answer[]; errors: string[] }[] = [];
    let rolledBackSent = 0;
    const loop = (async () => {
      // Up to 400 requests while failing (the guard needs 20 per side in its window), 60 once rolled back.
      while (rolledBackSent < 60 && failingSent < 400) {
        const tagged = phase;
        const batch = await drive(gw, 8, () => phase);
        traffic.push(batch);
        if (tagged === 'rolled_back') rolledBackSent += 8;
        else failingSent += 8;
      }
    })();
    await watcher;
    await loop;

    const all = traffic.flatMap((b) => b.answers);
    const errors = traffic.flatMap((b) => b.errors);
    expect(errors, 'no client request fails while the canary does').toEqual([]);
    // While failing, the canary's requests were answered by stable after the canary failed.
    const failing = all.filter((a) => a.startedAfter === 'failing');
    expect(failing.filter((a) => a.variant === 'canary').length).toBeGreaterThan(0);
    expect(failing.every((a) => a.deployment === 'stable' && a.model === 'm-2024-08-06')).toBe(true);
    // Once rolled back, every request is stable's.
    const after = all.filter((a) => a.startedAfter === 'rolled_back');
    expect(after.length).toBeGreaterThanOrEqual(60);
    expect(after.map((a) => a.variant)).toEqual(after.map(() => 'stable'));
    expect(after.every((a) => a.deployment === 'stable')).toBe(true);

    const rolled = await report(gw);
    expect(rolled.status).toBe('rolled_back');
    expect(rolled.percent).toBe(0);
    expect(rolled.cause).toBe('error_rate');
    expect(rolled.reason).toMatch(/^error rate \d+\.\d% vs stable \d+\.\d% \(limit \+2\.0 points, p/);
    expect(rolled.history.map((h) => h.status)).toEqual(['running', 'rolled_back']);
    let text = await metrics(gw);
    expect(sample(text, 'switchyard_canary_rollbacks_total', { route: 'chat', cause: 'error_rate' })).toBe(1);
    expect(sample(text, 'switchyard_canary_percent', { route: 'chat' })).toBe(0);
    expect(sample(text, 'switchyard_canary_status', { route: 'chat', status: 'rolled_back' })).toBe(1);
    expect(sample(text, 'switchyard_canary_status', { route: 'chat', status: 'running' })).toBe(0);
    expect(sample(text, 'switchyard_canary_error_ratio', { route: 'chat', variant: 'canary' })).toBeGreaterThan(0.02);

    // The canary is fixed. Its deployment was ejected and its breaker opened by the failures: an operator
    // checks it answers again (requests forced onto the canary, which the guard does not count) before
    // resuming, or the guard would count the canary's requests that stable answered meanwhile as failures.
    gw.sim('canary-sim').clearFaults();
    const forced = { 'x-switchyard-variant': 'canary', 'x-switchyard-admin-key': adminKey };
    await pollUntil(
      async () => {
        const { response } = await gw
          .client()
          .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }, { headers: forced })
          .withResponse();
        return response.headers.get('x-switchyard-deployment') === 'next';
      },
      'the fixed canary deployment to answer again',
      { limitMs: 10_000, everyMs: 100 },
    );
    const resumed = await act(gw, 'resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('running');
    expect(resumed.body.percent).toBe(50);
    expect(sample(await metrics(gw), 'switchyard_canary_percent', { route: 'chat' })).toBe(50);
    const again = await drive(gw, 40, () => 'resumed');
    expect(again.errors).toEqual([]);
    const canaryAgain = again.answers.filter((a) => a.variant === 'canary');
    expect(canaryAgain.length).toBeGreaterThan(5);
    expect(canaryAgain.every((a) => a.deployment === 'next')).toBe(true);

    // Promote: everything goes to the canary.
    const promoted = await act(gw, 'promote');
    expect(promoted.status).toBe(200);
    expect(promoted.body.status).toBe('promoted');
    expect(promoted.body.percent).toBe(100);
    const onCanary = await drive(gw, 24, () => 'promoted');
    expect(onCanary.errors).toEqual([]);
    expect(onCanary.answers.every((a) => a.variant === 'canary' && a.deployment === 'next')).toBe(true);
    text = await metrics(gw);
    expect(sample(text, 'switchyard_canary_percent', { route: 'chat' })).toBe(100);
    expect(sample(text, 'switchyard_canary_status', { route: 'chat', status: 'promoted' })).toBe(1);
    // The rollback counter still says one (nothing rolled back since).
    expect(sample(text, 'switchyard_canary_rollbacks_total', { route: 'chat', cause: 'error_rate' })).toBe(1);

    // What the status does not allow is refused, with why.
    const pause = await act(gw, 'pause');
    expect(pause.status).toBe(409);
    expect(pause.body.error!.code).toBe('canary_conflict');
    expect(pause.body.error!.message).toMatch(/promoted canary cannot be paused/);
    const promoteAgain = await act(gw, 'promote');
    expect(promoteAgain.status).toBe(409);
    expect(promoteAgain.body.error!.message).toMatch(/already promoted/);
    expect((await report(gw)).status).toBe('promoted');
  });

  it('answers 404 for an unknown route or action and 401 without the admin key', async () => {
    const gw = await start(`{ targets: [next], percent: 50, sticky: none, guard: false }`);
    const unknownRoute = await act(gw, 'rollback', 'nope');
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.error!.code).toBe('canary_not_found');
    expect(unknownRoute.body.error!.message).toContain('chat');
    const get = await fetch(`${gw.url}/admin/canaries/nope`, { headers: admin });
    expect(get.status).toBe(404);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('canary_not_found');
    const unknownAction = await act(gw, 'explode');
    expect(unknownAction.status).toBe(404);
    expect(unknownAction.body.error!.code).toBe('unknown_url');
    expect(unknownAction.body.error!.message).toMatch(/promote, rollback, pause, resume/);
    const noKey = await act(gw, 'rollback', 'chat', {});
    expect(noKey.status).toBe(401);
    const wrongKey = await act(gw, 'rollback', 'chat', { authorization: 'Bearer adm-wrong-0123456789' });
    expect(wrongKey.status).toBe(401);
    expect((await fetch(`${gw.url}/admin/canaries`)).status).toBe(401);
    // None of that changed the rollout.
    const s = await report(gw);
    expect(s.status).toBe('running');
    expect(s.percent).toBe(50);
    // The list shows it too.
    const list = (await (await fetch(`${gw.url}/admin/canaries`, { headers: admin })).json()) as { canaries: Report[] };
    expect(list.canaries.map((c) => [c.route, c.status, c.percent])).toEqual([['chat', 'running', 50]]);
  });

  it('leaves a healthy canary running: its verdicts hold', async () => {
    const gw = await start(`{ targets: [next], percent: 50, sticky: none, guard: ${fastGuard} }`);
    const verdicts = new Set<string>();
    let holds = 0;
    let lastSeen = '';
    const watcher = pollUntil(
      async () => {
        const s = await report(gw);
        const last = s.guard!.last;
        expect(s.status).toBe('running');
        if (last && last.verdict === 'holds') {
          const at = JSON.stringify(last);
          if (at !== lastSeen) holds += 1;
          lastSeen = at;
        }
        if (last) verdicts.add(last.verdict);
        return holds >= 3;
      },
      'three evaluations of the guard that hold',
      { limitMs: 10_000, everyMs: 100 },
    );
    let done = false;
    const errors: string[] = [];
    const loop = (async () => {
      for (let sent = 0; !done && sent < 1200; sent += 8) errors.push(...(await drive(gw, 8, () => 'healthy')).errors);
    })();
    try {
      await watcher;
    } finally {
      done = true;
      await loop;
    }
    expect(errors).toEqual([]);
    const s = await report(gw);
    expect(s.status).toBe('running');
    expect(s.percent).toBe(50);
    expect(s.guard!.last!.verdict).toBe('holds');
    // ttft_p95 is compared once each side has min_requests streams (a third of this traffic): not always yet.
    expect(s.guard!.last!.checks!.map((c) => c.metric)).toEqual(expect.arrayContaining(['error_rate', 'latency_p95', 'cost_per_request']));
    expect(s.guard!.last!.checks!.every((c) => !c.regressed)).toBe(true);
    expect(s.window!.canary.requests).toBeGreaterThanOrEqual(20);
    expect(verdicts.has('regressed')).toBe(false);
    const text = await metrics(gw);
    expect(sample(text, 'switchyard_canary_rollbacks_total', { route: 'chat' })).toBeUndefined();
    expect(sample(text, 'switchyard_canary_percent', { route: 'chat' })).toBe(50);
    expect(sample(text, 'switchyard_canary_error_ratio', { route: 'chat', variant: 'canary' })).toBe(0);
    expect(sample(text, 'switchyard_canary_latency_p95_seconds', { route: 'chat', variant: 'canary' })).toBeGreaterThan(0);
    expect(sample(text, 'switchyard_canary_ttft_p95_seconds', { route: 'chat', variant: 'stable' })).toBeGreaterThan(0);
    expect(sample(text, 'switchyard_canary_cost_per_request_usd', { route: 'chat', variant: 'canary' })).toBeGreaterThan(0);
  });
});

describe('a ramp', () => {
  it('climbs its steps while the guard holds, and is promoted at 100 %', async () => {
    const gw = await start(`
      targets: [next]
      sticky: none
      ramp: [{ percent: 10, hold: 300ms }, { percent: 50, hold: 300ms }, { percent: 100, hold: 300ms }]
      guard: { window: 30s, interval: 100ms, min_requests: 10 }`);
    const first = await report(gw);
    expect(first.status).toBe('running');
    expect(first.percent).toBe(10);
    expect(first.ramp!.step).toBe(0);
    expect(first.ramp!.steps).toEqual([
      { percent: 10, hold_ms: 300 },
      { percent: 50, hold_ms: 300 },
      { percent: 100, hold_ms: 300 },
    ]);
    let done = false;
    const errors: string[] = [];
    const loop = (async () => {
      for (let sent = 0; !done && sent < 3000; sent += 8) errors.push(...(await drive(gw, 8, () => 'ramp')).errors);
    })();
    try {
      await pollUntil(async () => (await report(gw)).status === 'promoted', 'the ramp to reach promoted', {
        limitMs: 15_000,
        everyMs: 100,
      });
    } finally {
      done = true;
      await loop;
    }
    expect(errors).toEqual([]);
    const s = await report(gw);
    expect(s.status).toBe('promoted');
    expect(s.percent).toBe(100);
    expect(s.ramp!.step).toBe(2);
    expect(s.reason).toMatch(/^ramp complete: the guard held/);
    expect(s.history.map((h) => [h.status, h.percent, h.step])).toEqual([
      ['running', 10, 0],
      ['running', 50, 1],
      ['running', 100, 2],
      ['promoted', 100, 2],
    ]);
    const text = await metrics(gw);
    expect(sample(text, 'switchyard_canary_percent', { route: 'chat' })).toBe(100);
    expect(sample(text, 'switchyard_canary_status', { route: 'chat', status: 'promoted' })).toBe(1);
    const last = await drive(gw, 16, () => 'promoted');
    expect(last.answers.every((a) => a.variant === 'canary')).toBe(true);
  });

  it('does not climb while the guard has too few requests to judge', async () => {
    const gw = await start(`
      targets: [next]
      sticky: none
      ramp: [{ percent: 10, hold: 300ms }, { percent: 100, hold: 300ms }]
      guard: { window: 30s, interval: 100ms, min_requests: 10 }`);
    // No traffic: the guard's verdict is "insufficient", so the first step holds however long it has been.
    await pollUntil(async () => (await report(gw)).guard!.last?.verdict === 'insufficient', 'a first evaluation', {
      limitMs: 10_000,
      everyMs: 50,
    });
    await new Promise((r) => setTimeout(r, 1200));
    const s = await report(gw);
    expect(s.status).toBe('running');
    expect(s.percent).toBe(10);
    expect(s.ramp!.step).toBe(0);
  });

  it('with guard: false advances on time alone', async () => {
    const gw = await start(`
      targets: [next]
      sticky: none
      ramp: [{ percent: 10, hold: 300ms }, { percent: 50, hold: 300ms }, { percent: 100, hold: 300ms }]
      guard: false`);
    const first = await report(gw);
    expect(first.guard).toBeNull();
    expect(first.percent).toBe(10);
    // No traffic at all: nothing to judge, nothing needed.
    await pollUntil(async () => (await report(gw)).status === 'promoted', 'the unguarded ramp to reach promoted', {
      limitMs: 10_000,
      everyMs: 50,
    });
    const s = await report(gw);
    expect(s.percent).toBe(100);
    expect(s.history.map((h) => [h.status, h.percent])).toEqual([
      ['running', 10],
      ['running', 50],
      ['running', 100],
      ['promoted', 100],
    ]);
    const answers = await drive(gw, 8, () => 'promoted');
    expect(answers.errors).toEqual([]);
    expect(answers.answers.every((a) => a.variant === 'canary' && a.deployment === 'next')).toBe(true);
  });

  it('a ramp that ends below 100 % completes (and keeps its share); pause and resume', async () => {
    const gw = await start(`
      targets: [next]
      sticky: none
      ramp: [{ percent: 20, hold: 200ms }, { percent: 40, hold: 200ms }]
      guard: false`);
    await pollUntil(async () => (await report(gw)).status === 'complete', 'the ramp to complete', { limitMs: 10_000, everyMs: 50 });
    expect((await report(gw)).percent).toBe(40);
    const paused = await act(gw, 'pause');
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    expect(paused.body.percent).toBe(40);
    const pausedAgain = await act(gw, 'pause');
    expect(pausedAgain.status).toBe(409);
    expect(pausedAgain.body.error!.code).toBe('canary_conflict');
    const resumed = await act(gw, 'resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('running');
    expect(resumed.body.percent).toBe(40);
    expect(resumed.body.reason).toBe('resumed by an operator');
  });

  it('a manual rollback takes the share to 0 and is counted with cause manual', async () => {
    const gw = await start(`{ targets: [next], percent: 30, sticky: none, guard: false }`);
    const rolled = await act(gw, 'rollback');
    expect(rolled.status).toBe(200);
    expect(rolled.body.status).toBe('rolled_back');
    expect(rolled.body.cause).toBe('manual');
    expect(rolled.body.reason).toBe('rolled back by an operator');
    expect(rolled.body.percent).toBe(0);
    const again = await act(gw, 'rollback');
    expect(again.status).toBe(409);
    expect(again.body.error!.message).toMatch(/already rolled back/);
    const text = await metrics(gw);
    expect(sample(text, 'switchyard_canary_percent', { route: 'chat' })).toBe(0);
    expect(sample(text, 'switchyard_canary_status', { route: 'chat', status: 'rolled_back' })).toBe(1);
    // switchyard_canary_rollbacks_total counts rollbacks "by cause: the guard metric that regressed … or manual".
    expect(sample(text, 'switchyard_canary_rollbacks_total', { route: 'chat', cause: 'manual' })).toBe(1);
  });
});
