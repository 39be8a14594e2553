/**
 * The pool router's decisions on hand-built pools: prefix affinity, full members filtered out,
 * saturation and its reason, stale scrapes, the hot-spot guard, cold spreading, the estimates between
 * scrapes, session pins, LoRA affinity and the index capacity from a server's cache geometry.
 */
import { describe, expect, it } from 'vitest';
import { PoolRouter, defaultPoolRouting } from '../../gpu-pool/router.js';
import { serverLoad, type ServerLoad } from '../../gpu-pool/server-metrics.js';
import { seededRandom } from '../support/seeded-random.js';
import type { Decision, PoolMember, PoolRequest, PoolRouting } from '../../gpu-pool/types.js';

function load(over: Partial<ServerLoad> = {}): ServerLoad {
  return serverLoad({ waiting: 0, running: 0, kvUsage: 0.1, ...over });
}

function member(id: string, over: Partial<PoolMember> = {}): PoolMember {
  return { id, ready: true, load: load(), scrapedAt: 0, inFlight: 0, ...over };
}

function pool(n: number): PoolMember[] {
  return Array.from({ length: n }, (_, i) => member(`http://gpu-${i}:8000`));
}

/** Pseudo-random text, distinct per seed. */
function text(seed: number, length: number): string {
  let out = '';
  let x = seed * 7919 + 17;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += String.fromCharCode(97 + (x % 26));
  }
  return out;
}

function request(prompt: string, session?: string, model = 'llama'): PoolRequest {
  return { prompt, model, session };
}

const seeded = seededRandom;

function picked(d: Decision): number {
  if (d.kind !== 'pick') throw new Error(`expected a pick, got ${JSON.stringify(d)}`);
  return d.index;
}

function setup(members: PoolMember[], routing: PoolRouting = defaultPoolRouting) {
  const clock = { t: 100 };
  const router = new PoolRouter(routing, () => clock.t);
  /** Every member reports a fresh scrape (its load unchanged). */
  const scrapeAll = () => {
    clock.t += 100;
    for (const m of members) {
      m.scrapedAt = clock.t;
      router.scraped(m);
    }
  };
  return { clock, router, scrapeAll };
}

describe('PoolRouter', () => {
  it('sends a prompt to the member that served the same prefix', () => {
    const members = pool(4);
    const { router, scrapeAll } = setup(members);
    const random = seeded(1);
    const system = text(1, 3000);
    const first = router.decide(members, request(system + text(2, 200)), random);
    expect(first).toMatchObject({ kind: 'pick', why: 'cold', prefixBlocks: 0 });
    const holder = picked(first);
    expect(router.indexedBlocks(members[holder]!.id)).toBe(Math.floor(3200 / 64));
    scrapeAll();
    for (let i = 0; i < 5; i += 1) {
      const d = router.decide(members, request(system + text(10 + i, 200)), random);
      expect(d).toMatchObject({ kind: 'pick', index: holder, why: 'prefix', promptBlocks: 50 });
      expect(d.kind === 'pick' && d.prefixBlocks).toBe(Math.floor(3000 / 64));
      scrapeAll();
    }
  });

  it('follows a conversation as it grows by turns', () => {
    const members = pool(3);
    const { router, scrapeAll } = setup(members);
    const random = seeded(2);
    let conversation = text(3, 500);
    const holder = picked(router.decide(members, request(conversation), random));
    for (let turn = 0; turn < 4; turn += 1) {
      scrapeAll();
      conversation += text(20 + turn, 300);
      expect(picked(router.decide(members, request(conversation), random))).toBe(holder);
    }
  });

  it('never picks a full member, even the one holding the prefix', () => {
    const members = pool(3);
    const { router, scrapeAll } = setup(members);
    const random = seeded(3);
    const prompt = text(4, 4000);
    const holder = picked(router.decide(members, request(prompt), random));
    scrapeAll();
    const full = members[holder]!;
    full.load = load({ waiting: defaultPoolRouting.maxQueue + 1 });
    for (let i = 0; i < 20; i += 1) expect(picked(router.decide(members, request(prompt), random))).not.toBe(holder);
    full.load = load({ kvUsage: 0.97 });
    scrapeAll();
    for (let i = 0; i < 20; i += 1) expect(picked(router.decide(members, request(prompt), random))).not.toBe(holder);
    full.load = load();
    full.ready = false;
    scrapeAll();
    for (let i = 0; i < 20; i += 1) expect(picked(router.decide(members, request(prompt), random))).not.toBe(holder);
  });

  it('is saturated when every member is full, with the most common reason', () => {
    const members = pool(4);
    const { router } = setup(members);
    members[0]!.load = load({ waiting: 40 });
    members[1]!.load = load({ waiting: 17 });
    members[2]!.load = load({ kvUsage: 0.99 });
    expect(router.saturation(members)).toBeUndefined();
    members[3]!.ready = false;
    expect(router.saturation(members)).toBe('queue');
    expect(router.decide(members, request(text(5, 1000)), seeded(4))).toEqual({ kind: 'saturated', reason: 'queue' });
    members[1]!.load = load({ kvUsage: 0.99 });
    members[0]!.load = load({ kvUsage: 0.96 });
    expect(router.decide(members, request(text(5, 1000)), seeded(4))).toEqual({ kind: 'saturated', reason: 'kv_cache' });
    expect(router.decide([], request('x'), seeded(4))).toEqual({ kind: 'saturated', reason: 'not_ready' });
  });

  it('breaks a tie between reasons in FullReason order', () => {
    const members = pool(2);
    const { router } = setup(members);
    members[0]!.ready = false;
    members[1]!.load = load({ kvUsage: 1 });
    expect(router.saturation(members)).toBe('kv_cache');
  });

  it('counts a member whose scrape is older than staleMs as full (stale), and a never-scraped one too', () => {
    const members = pool(2);
    const { clock, router } = setup(members);
    clock.t = defaultPoolRouting.staleMs + 1;
    members[1]!.scrapedAt = clock.t - 10;
    for (let i = 0; i < 10; i += 1) expect(picked(router.decide(members, request(text(i, 200)), seeded(i)))).toBe(1);
    members[1]!.scrapedAt = -Infinity;
    expect(router.saturation(members)).toBe('stale');
    expect(router.decide(members, request('hello'), seeded(5))).toEqual({ kind: 'saturated', reason: 'stale' });
  });

  it('leaves an overloaded prefix holder for the least loaded member (hot-spot guard)', () => {
    const members = pool(3);
    const { router, scrapeAll } = setup(members);
    const random = seeded(6);
    const prompt = text(6, 6000);
    const holder = picked(router.decide(members, request(prompt), random));
    scrapeAll();
    members[holder]!.load = load({ waiting: 3 });
    expect(router.decide(members, request(prompt), random)).toMatchObject({ index: holder, why: 'prefix' });
    scrapeAll();
    members[holder]!.load = load({ waiting: defaultPoolRouting.hotspotQueueGap + 1 });
    const d = router.decide(members, request(prompt), random);
    expect(d).toMatchObject({ kind: 'pick', why: 'hotspot' });
    expect(picked(d)).not.toBe(holder);
  });

  it('spreads cold requests over idle members: N requests on N members land on N distinct ones', () => {
    for (const n of [2, 5, 8]) {
      const members = pool(n);
      const { router } = setup(members);
      const random = seeded(n);
      const chosen = new Set<number>();
      for (let i = 0; i < n; i += 1) {
        const d = router.decide(members, request(text(100 + i, 500)), random);
        expect(d).toMatchObject({ why: 'cold' });
        chosen.add(picked(d));
      }
      expect(chosen.size).toBe(n);
    }
  });

  it('spreads cold requests by recency when the servers publish no queue (in-flight counts unchanged)', () => {
    const members = pool(6).map((m) => ({ ...m, load: load({ waiting: undefined, kvUsage: undefined }) }));
    const { router } = setup(members);
    const random = seeded(7);
    const chosen: number[] = [];
    for (let i = 0; i < 12; i += 1) chosen.push(picked(router.decide(members, request(text(200 + i, 300)), random)));
    expect(new Set(chosen.slice(0, 6)).size).toBe(6);
    expect(chosen.slice(6)).toEqual(chosen.slice(0, 6)); // then round again, least recently picked first
  });

  it('raises the estimated queue with each pick between scrapes, so a burst spreads and then saturates', () => {
    const members = pool(2);
    const routing: PoolRouting = { ...defaultPoolRouting, maxQueue: 2 };
    const { router, scrapeAll } = setup(members, routing);
    const random = seeded(8);
    const counts = [0, 0];
    // Each pick stays in flight (the gateway counts it on the member), as a burst's requests do.
    for (let i = 0; i < 6; i += 1) {
      const at = picked(router.decide(members, request(text(300 + i, 300)), random));
      members[at]!.inFlight += 1;
      counts[at]! += 1;
    }
    expect(counts).toEqual([3, 3]);
    expect(router.saturation(members)).toBe('queue');
    expect(router.decide(members, request(text(399, 300)), random)).toEqual({ kind: 'saturated', reason: 'queue' });
    scrapeAll(); // the scrapes say the queues are empty again
    expect(router.saturation(members)).toBeUndefined();
    expect(router.decide(members, request(text(400, 300)), random).kind).toBe('pick');
  });

  it('treats a changed scrapedAt as a new scrape even when not told', () => {
    const members = pool(1);
    const { clock, router } = setup(members, { ...defaultPoolRouting, maxQueue: 0 });
    clock.t = 50;
    expect(router.decide(members, request('a'), seeded(9)).kind).toBe('pick');
    members[0]!.inFlight = 1;
    expect(router.saturation(members)).toBe('queue');
    members[0]!.scrapedAt = 40;
    expect(router.saturation(members)).toBeUndefined();
  });

  it('counts only the picks since the scrape that are still in flight, and fills a learnt batch limit first', () => {
    const members = pool(1);
    const { router } = setup(members, { ...defaultPoolRouting, maxQueue: 0 });
    const random = seeded(12);
    expect(router.decide(members, request(text(600, 100)), random).kind).toBe('pick');
    // Answered already (nothing in flight): it no longer waits, so the member is not full.
    expect(router.saturation(members)).toBeUndefined();
    // A scrape that shows 4 running and 1 waiting shows the batch limit: 4.
    members[0]!.load = load({ waiting: 1, running: 4 });
    members[0]!.scrapedAt = 10;
    expect(router.saturation(members)).toBe('queue');
    // Later the batch has room for 3 more: three picks in flight fill it, the fourth waits.
    members[0]!.load = load({ waiting: 0, running: 1 });
    members[0]!.scrapedAt = 20;
    for (let i = 0; i < 3; i += 1) {
      expect(router.decide(members, request(text(610 + i, 100)), random).kind).toBe('pick');
      members[0]!.inFlight += 1;
    }
    expect(router.saturation(members)).toBeUndefined();
    expect(router.decide(members, request(text(620, 100)), random).kind).toBe('pick');
    members[0]!.inFlight += 1;
    expect(router.saturation(members)).toBe('queue');
  });

  it("scores the queue on every request at the server: its own exact in-flight count plus other clients' as scraped", () => {
    const members = pool(2);
    const { router } = setup(members);
    const random = seeded(13);
    // Same scrape (idle), but this gateway has 3 requests in flight on member 0 since: member 1 is less loaded.
    members[0]!.inFlight = 3;
    for (let i = 0; i < 3; i += 1) {
      const at = picked(router.decide(members, request(text(700 + i, 100)), random));
      expect(at).toBe(1);
      members[at]!.inFlight += 1;
    }
    // Another client's load shows in a scrape: 6 running on member 1 that are not this gateway's.
    members[1]!.load = load({ running: 6 + members[1]!.inFlight });
    members[1]!.scrapedAt = 5;
    expect(picked(router.decide(members, request(text(710, 100)), random))).toBe(0);
  });

  it('adds the tokens picked since the scrape to the KV estimate when the cache geometry is known', () => {
    // 1000 blocks of 16 tokens = 16 000 tokens; a 4000-character prompt is about 1000 tokens, 6.25 %.
    const members = [member('a', { load: load({ kvUsage: 0.9, blockSize: 16, gpuBlocks: 1000 }) })];
    const { router, scrapeAll } = setup(members);
    expect(router.decide(members, request(text(10, 4000)), seeded(10)).kind).toBe('pick');
    expect(router.decide(members, request(text(11, 4000)), seeded(10))).toEqual({ kind: 'saturated', reason: 'kv_cache' });
    scrapeAll();
    expect(router.saturation(members)).toBeUndefined();
  });

  it('keeps a session on the member it was pinned to', () => {
    const members = pool(4);
    const routing: PoolRouting = { ...defaultPoolRouting, sessionHeader: 'x-session-id' };
    const { router, scrapeAll } = setup(members, routing);
    const random = seeded(11);
    const home = picked(router.decide(members, request(text(500, 100), 'alice'), random));
    for (let i = 0; i < 5; i += 1) {
      scrapeAll();
      // Unrelated short prompts: nothing to match, only the pin keeps it there.
      const d = router.decide(members, request(text(600 + i, 30), 'alice'), random);
      expect(d).toMatchObject({ index: home, why: 'session' });
    }
    scrapeAll();
    const other = picked(router.decide(members, request(text(700, 30), 'bob'), random));
    expect(other).not.toBe(home); // bob is new: cold, to the least recently picked
  });

  it('keeps a session on its member against an equal score elsewhere (a tie goes to affinity)', () => {
    const members = pool(2);
    const { router } = setup(members);
    const random = seeded(16);
    const home = picked(router.decide(members, request(text(1300, 30), 'carol'), random));
    // No scrape: home now waits one request more than the other, which costs it exactly the session's weight.
    expect(router.decide(members, request(text(1301, 30), 'carol'), random)).toMatchObject({ index: home, why: 'session' });
  });

  it("says 'load' when the prefix holder is the least loaded anyway", () => {
    const members = pool(2);
    const { router, scrapeAll } = setup(members);
    const random = seeded(17);
    const prompt = text(1400, 3000);
    const holder = picked(router.decide(members, request(prompt), random));
    members[1 - holder]!.load = load({ waiting: 3 });
    scrapeAll();
    expect(router.decide(members, request(prompt), random)).toMatchObject({ index: holder, why: 'load' });
  });

  it('moves a pinned session when its member is full, and keeps it where it went', () => {
    const members = pool(3);
    const { router, scrapeAll } = setup(members);
    const random = seeded(12);
    const home = picked(router.decide(members, request('hi', 's'), random));
    scrapeAll();
    members[home]!.ready = false;
    const moved = picked(router.decide(members, request('hi again', 's'), random));
    expect(moved).not.toBe(home);
    members[home]!.ready = true;
    scrapeAll();
    expect(router.decide(members, request('and again', 's'), random)).toMatchObject({ index: moved, why: 'session' });
  });

  it('prefers the member with the LoRA adapter loaded', () => {
    const members = pool(3);
    members[0]!.load = load({ loras: ['base-a'], maxLoras: 1 });
    members[1]!.load = load({ loras: ['sql-adapter'], maxLoras: 1 });
    members[2]!.load = load({ loras: ['base-b'], maxLoras: 1 });
    const { router, scrapeAll } = setup(members);
    for (let i = 0; i < 5; i += 1) {
      expect(picked(router.decide(members, request(text(800 + i, 200), undefined, 'sql-adapter'), seeded(i)))).toBe(1);
      scrapeAll();
    }
  });

  it('does not share prefixes across models', () => {
    const members = pool(2);
    const { router, scrapeAll } = setup(members);
    const prompt = text(900, 2000);
    router.decide(members, request(prompt, undefined, 'model-a'), seeded(13));
    scrapeAll();
    expect(router.decide(members, request(prompt, undefined, 'model-b'), seeded(13))).toMatchObject({ why: 'cold', prefixBlocks: 0 });
  });

  it('sizes each member index from its cache geometry, else lruBlocks, and forgets a member', () => {
    // 100 blocks of 16 tokens ≈ 6400 characters = 100 router blocks of 64.
    const members = [member('small', { load: load({ blockSize: 16, gpuBlocks: 100 }) })];
    const routing: PoolRouting = { ...defaultPoolRouting, lruBlocks: 150 };
    const { router } = setup(members, routing);
    for (let i = 0; i < 3; i += 1) router.decide(members, request(text(1000 + i, 64 * 80)), seeded(i));
    expect(router.indexedBlocks('small')).toBe(100);
    const other = [member('plain')];
    for (let i = 0; i < 3; i += 1) router.decide(other, request(text(1100 + i, 64 * 80)), seeded(i));
    expect(router.indexedBlocks('plain')).toBe(150);
    router.forget('plain');
    expect(router.indexedBlocks('plain')).toBe(0);
  });

  it('hashes nothing when the prefix weight is 0', () => {
    const members = pool(2);
    const { router } = setup(members, { ...defaultPoolRouting, weights: { ...defaultPoolRouting.weights, prefix: 0 } });
    const d = router.decide(members, request(text(1200, 2000)), seeded(14));
    expect(d).toMatchObject({ kind: 'pick', promptBlocks: 0, prefixBlocks: 0, why: 'cold' });
    expect(router.indexedBlocks(members[picked(d)]!.id)).toBe(0);
  });

  it('makes the same decisions from the same random source', () => {
    const run = () => {
      const members = pool(5);
      const { router, scrapeAll } = setup(members);
      const random = seeded(15);
      const out: number[] = [];
      for (let i = 0; i < 50; i += 1) {
        out.push(picked(router.decide(members, request(text(i % 7, 700) + text(i, 100)), random)));
        if (i % 5 === 4) scrapeAll();
      }
      return out;
    };
    expect(run()).toEqual(run());
  });
});
