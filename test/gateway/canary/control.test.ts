/**
 * The rollout state machine (gateway/canary/control.ts) on a board that never ticks by itself, with
 * clocks the test moves: the guard rolls a failing canary back and records why, the ramp climbs only
 * when the guard holds for a step's hold, operators' actions and their refusals, the gate, the state
 * kept across a reload of the same rollout, and the Redis store's compare-and-set between two boards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CanaryBoard } from '../../../gateway/canary/board.js';
import type { GateResult, GuardPlan, RolloutPlan } from '../../../gateway/canary/control.js';
import { RedisStateStore } from '../../../gateway/canary/state-store.js';
import type { CanaryObservation } from '../../../gateway/canary/window.js';
import { sharedRedisUrl, useSharedRedisPrefix } from '../../support/redis-server.js';

const guard: GuardPlan = {
  windowMs: 60_000,
  intervalMs: 1_000,
  minRequests: 20,
  alpha: 0.001,
  maxErrorRateIncrease: 0.02,
  maxTtftP95Ratio: 1.5,
  maxLatencyP95Ratio: 1.5,
  maxCostRatio: 1.25,
};

function plan(over: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    route: 'chat',
    key: 'chat:test',
    percent: 10,
    ramp: undefined,
    guard,
    gate: undefined,
    canaryTargets: new Set(['next']),
    stableTargets: new Set(['stable']),
    ...over,
  };
}

/** A board with hand-moved clocks; `events` records what it told. */
function boardOf(options: { runGate?: () => Promise<GateResult> } = {}) {
  const clock = { wall: 1_700_000_000_000, mono: 1_000 };
  const events: string[] = [];
  const board = new CanaryBoard({
    tickMs: 0,
    now: () => clock.wall,
    monotonic: () => clock.mono,
    replica: 'r1',
    events: {
      changed: (c, previous) => events.push(`${previous.status}->${c.state.status}@${c.state.percent}`),
      rolledBack: (_c, cause) => events.push(`rollback:${cause}`),
    },
    ...(options.runGate ? { runGate: options.runGate } : {}),
  });
  const advance = (ms: number): void => {
    clock.wall += ms;
    clock.mono += ms;
  };
  return { board, clock, events, advance };
}

const ok = (latencyMs = 100): CanaryObservation => ({ failed: false, ttftMs: undefined, latencyMs, costUsd: 0.001 });
const bad: CanaryObservation = { failed: true, ttftMs: undefined, latencyMs: undefined, costUsd: undefined };

describe('a canary with a guard', () => {
  it('starts at its percent and rolls back by itself on a failing canary, recording why', async () => {
    const { board, clock, events, advance } = boardOf();
    const control = board.controlFor(plan());
    expect(control.state.status).toBe('running');
    expect(control.buckets).toBe(1_000);
    for (let i = 0; i < 200; i += 1) control.observe('stable', clock.mono, ok());
    for (let i = 0; i < 40; i += 1) control.observe('canary', clock.mono, i % 2 === 0 ? bad : ok());
    advance(1_000);
    await board.tick();
    expect(control.state).toMatchObject({ status: 'rolled_back', percent: 0, cause: 'error_rate' });
    expect(control.state.reason).toMatch(/^error rate 50\.0% vs stable 0\.0%/);
    expect(control.buckets).toBe(0);
    expect(events).toEqual(['running->rolled_back@0', 'rollback:error_rate']);
    // Rolled back, it is not judged again, and requests it no longer gets are not counted.
    control.observe('canary', clock.mono, bad);
    expect(control.windows!.canary.summary(clock.mono).requests).toBe(40);
  });

  it('does not judge before both variants have min_requests, and holds on a healthy canary', async () => {
    const { board, clock, advance } = boardOf();
    const control = board.controlFor(plan());
    for (let i = 0; i < 19; i += 1) control.observe('canary', clock.mono, bad);
    for (let i = 0; i < 200; i += 1) control.observe('stable', clock.mono, ok());
    advance(1_000);
    await board.tick();
    expect(control.lastVerdict?.verdict).toEqual({ kind: 'insufficient', stable: 200, canary: 19, needed: 20 });
    expect(control.state.status).toBe('running');
    control.windows!.reset();
    for (let i = 0; i < 200; i += 1) control.observe('stable', clock.mono, ok(100 + (i % 7)));
    for (let i = 0; i < 30; i += 1) control.observe('canary', clock.mono, ok(100 + (i % 5)));
    advance(1_000);
    await board.tick();
    expect(control.lastVerdict?.verdict.kind).toBe('holds');
    expect(control.state.status).toBe('running');
  });

  it('evaluates once per interval, not on every tick', async () => {
    const { board, advance } = boardOf();
    const control = board.controlFor(plan());
    advance(1_000);
    await board.tick();
    const first = control.lastVerdict!.at;
    advance(500);
    await board.tick();
    expect(control.lastVerdict!.at).toBe(first);
    advance(500);
    await board.tick();
    expect(control.lastVerdict!.at).toBeGreaterThan(first);
  });
});

describe('a ramp', () => {
  const ramp = [
    { percent: 5, holdMs: 10_000 },
    { percent: 25, holdMs: 10_000 },
    { percent: 100, holdMs: 5_000 },
  ];

  it('climbs a step once the guard has held for its hold, and is promoted after the last', async () => {
    const { board, clock, events, advance } = boardOf();
    const control = board.controlFor(plan({ percent: undefined, ramp }));
    expect(control.state).toMatchObject({ status: 'running', percent: 5, step: 0 });
    const feed = (): void => {
      for (let i = 0; i < 40; i += 1) control.observe('stable', clock.mono, ok());
      for (let i = 0; i < 40; i += 1) control.observe('canary', clock.mono, ok());
    };
    feed();
    advance(9_000);
    await board.tick();
    expect(control.state.step).toBe(0);
    advance(1_000);
    feed();
    await board.tick();
    expect(control.state).toMatchObject({ status: 'running', percent: 25, step: 1 });
    expect(control.state.reason).toBe('the guard held 10 s at 5 %');
    advance(10_000);
    feed();
    await board.tick();
    advance(5_000);
    feed();
    await board.tick();
    expect(control.state).toMatchObject({ status: 'promoted', percent: 100, step: 2 });
    expect(control.buckets).toBe(10_000);
    expect(events).toEqual(['running->running@25', 'running->running@100', 'running->promoted@100']);
    expect(control.history.map((t) => t.percent)).toEqual([5, 25, 100, 100]);
  });

  it('waits at a step while the guard has too few requests to conclude', async () => {
    const { board, advance } = boardOf();
    const control = board.controlFor(plan({ percent: undefined, ramp }));
    advance(60_000);
    await board.tick();
    expect(control.lastVerdict?.verdict.kind).toBe('insufficient');
    expect(control.state).toMatchObject({ step: 0, percent: 5 });
  });

  it('without a guard, climbs on time alone; a paused ramp does not climb', async () => {
    const { board, advance } = boardOf();
    const control = board.controlFor(plan({ percent: undefined, ramp, guard: undefined }));
    advance(10_000);
    await board.tick();
    expect(control.state.percent).toBe(25);
    expect(await control.act('pause')).toEqual({ ok: true });
    advance(60_000);
    await board.tick();
    expect(control.state).toMatchObject({ status: 'paused', percent: 25 });
    await control.act('resume');
    advance(9_999);
    await board.tick();
    expect(control.state.percent).toBe(25);
    advance(1);
    await board.tick();
    expect(control.state.percent).toBe(100);
  });
});

describe("an operator's actions", () => {
  it('rollback, resume (a fresh start), promote, and refusals that say why', async () => {
    const { board, clock } = boardOf();
    const control = board.controlFor(plan());
    for (let i = 0; i < 30; i += 1) control.observe('canary', clock.mono, bad);
    expect(await control.act('rollback', 'bad answers in review')).toEqual({ ok: true });
    expect(control.state).toMatchObject({ status: 'rolled_back', percent: 0, cause: 'manual', reason: 'bad answers in review' });
    expect(await control.act('rollback')).toEqual({ ok: false, message: 'the canary is already rolled back' });
    expect(await control.act('pause')).toEqual({
      ok: false,
      message: 'a rolled_back canary cannot be paused (only running or complete ones)',
    });
    expect(await control.act('resume')).toEqual({ ok: true });
    expect(control.state).toMatchObject({ status: 'running', percent: 10, reason: 'restarted by an operator' });
    // A restart is judged on what the canary does from now on.
    expect(control.windows!.canary.summary(clock.mono).requests).toBe(0);
    expect(await control.act('resume')).toMatchObject({ ok: false });
    expect(await control.act('promote')).toEqual({ ok: true });
    expect(control.state).toMatchObject({ status: 'promoted', percent: 100 });
    expect(await control.act('promote')).toEqual({ ok: false, message: 'the canary is already promoted' });
  });
});

describe('a gate', () => {
  it('keeps the canary at 0 % until its suite passes; a failed gate says why and resume runs it again', async () => {
    let result: GateResult = { passed: false, summary: '1/2 cases of smoke passed (says-json: not JSON)' };
    let runs = 0;
    const { board } = boardOf({
      runGate: () => {
        runs += 1;
        return Promise.resolve(result);
      },
    });
    const control = board.controlFor(plan({ gate: 'smoke.yaml' }));
    expect(control.state).toMatchObject({ status: 'gating', percent: 0 });
    expect(control.buckets).toBe(0);
    await board.tick();
    expect(control.state).toMatchObject({ status: 'gate_failed', percent: 0, cause: 'gate' });
    expect(control.state.reason).toBe('gate failed: 1/2 cases of smoke passed (says-json: not JSON)');
    await board.tick();
    expect(runs).toBe(1);
    result = { passed: true, summary: '2/2 cases of smoke passed' };
    await control.act('resume');
    expect(control.state.status).toBe('gating');
    await board.tick();
    expect(control.state).toMatchObject({ status: 'running', percent: 10, reason: 'gate passed: 2/2 cases of smoke passed' });
    expect(runs).toBe(2);
  });
});

describe('across reloads', () => {
  it('keeps the state of the same rollout; a changed rollout (another key) starts afresh', async () => {
    const { board } = boardOf();
    const first = board.controlFor(plan());
    await first.act('rollback');
    const again = board.controlFor(plan());
    expect(again).toBe(first);
    const tuned = board.controlFor(plan({ guard: { ...guard, alpha: 0.0001 } }));
    expect(tuned).not.toBe(first);
    expect(tuned.state.status).toBe('rolled_back');
    const fresh = board.controlFor(plan({ key: 'chat:other' }));
    expect(fresh.state).toMatchObject({ status: 'running', percent: 10 });
    board.retain(new Set(['chat:other']));
    expect(board.all).toEqual([fresh]);
  });
});

describe('shared through Redis', () => {
  const redis = useSharedRedisPrefix();
  const boards: CanaryBoard[] = [];
  afterEach(async () => {
    await Promise.all(boards.splice(0).map((b) => b.close()));
  });

  const sharedBoard = (replica: string): CanaryBoard => {
    const board = new CanaryBoard({
      tickMs: 0,
      replica,
      store: new RedisStateStore({ url: sharedRedisUrl, keyPrefix: redis.prefix(), commandTimeoutMs: 1_000 }),
    });
    boards.push(board);
    return board;
  };

  it('serves nothing to the canary until the shared state is read, then agrees; an action on one reaches the other at its next tick', async () => {
    const a = sharedBoard('a');
    const b = sharedBoard('b');
    const ca = a.controlFor(plan());
    const cb = b.controlFor(plan());
    expect(ca.buckets).toBe(0);
    await a.tick();
    await b.tick();
    expect([ca.state.status, ca.buckets, cb.state.status, cb.buckets]).toEqual(['running', 1_000, 'running', 1_000]);
    expect(cb.state.version).toBe(ca.state.version);
    expect(await ca.act('rollback', 'drill')).toEqual({ ok: true });
    expect(cb.buckets).toBe(1_000);
    await b.tick();
    expect(cb.state).toMatchObject({ status: 'rolled_back', percent: 0, reason: 'drill', by: 'a' });
    expect(cb.buckets).toBe(0);
    // Both act at once: compare-and-set lets exactly one win.
    const [ra, rb] = await Promise.all([ca.act('resume'), cb.act('resume')]);
    expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
    await a.tick();
    await b.tick();
    expect([ca.state.status, cb.state.status]).toEqual(['running', 'running']);
  });
});
