/**
 * The decision-time micro run of `npm run bench:pool`: the real PoolRouter over 8 members, prompts of
 * 16 000 characters, its prefix index filled first (more distinct prompt blocks than it remembers, so
 * every member's index is at capacity and evicting), then `decisions` timed decide() calls (prompt
 * hashing included: decide() hashes the prompt itself). Prompts in the timed part share the first
 * three quarters of a warm-up prompt (a prefix match to find) and end uniquely.
 */
import { PoolRouter, defaultPoolRouting } from '../../gpu-pool/router.js';
import { serverLoad } from '../../gpu-pool/server-metrics.js';
import type { PoolMember } from '../../gpu-pool/types.js';
import { createRandom } from '../../sim/random.js';
import { pseudoText } from './workload.js';

export interface DecisionTiming {
  readonly members: number;
  readonly promptChars: number;
  readonly warmup: number;
  readonly decisions: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
}

export function measureDecisionTime(
  options: { members?: number; promptChars?: number; warmup?: number; decisions?: number } = {},
): DecisionTiming {
  const n = options.members ?? 8;
  const promptChars = options.promptChars ?? 16_000;
  const decisions = options.decisions ?? 10_000;
  const routing = defaultPoolRouting;
  // Enough distinct blocks to overfill every member's index (lruBlocks each), at least 200 prompts.
  const blocksPerPrompt = Math.min(routing.maxBlocks, Math.floor(promptChars / routing.blockChars));
  const warmup = options.warmup ?? Math.max(200, Math.ceil((1.2 * n * routing.lruBlocks) / Math.max(1, blocksPerPrompt)));
  const random = createRandom(7);
  const tokens = Math.floor(promptChars / 4);
  const now = 1000;
  const router = new PoolRouter(routing, () => now);
  const members: PoolMember[] = Array.from({ length: n }, (_, i) => ({
    id: `http://gpu-${i}.pool.local:8000`,
    ready: true,
    load: undefined,
    scrapedAt: now,
    inFlight: 0,
  }));
  const rescrape = () => {
    for (const m of members) {
      const load = serverLoad({
        waiting: Math.floor(random() * 3),
        running: 20 + Math.floor(random() * 80),
        kvUsage: 0.3 + random() * 0.5,
      });
      m.load = load;
      m.scrapedAt = now;
      m.inFlight = Math.floor(random() * 16);
      router.scraped(m);
    }
  };
  rescrape();
  // Warm-up: distinct prompts, each recorded on the member it was sent to.
  const seen: string[] = [];
  for (let i = 0; i < warmup; i++) {
    const prompt = pseudoText(random, tokens);
    if (seen.length < 500) seen.push(prompt);
    router.decide(members, { prompt, model: 'bench-model', session: undefined }, random);
    if (i % 100 === 99) rescrape();
  }
  const prompts = Array.from({ length: 256 }, (_, i) => {
    const base = seen[i % seen.length]!;
    return base.slice(0, Math.floor((base.length * 3) / 4)) + pseudoText(random, tokens - Math.floor((tokens * 3) / 4));
  });
  const samples = new Float64Array(decisions);
  for (let i = 0; i < decisions; i++) {
    // A fresh string each time (a new request's body), so no hash is memoised on the string object.
    const prompt = prompts[i % prompts.length]!.slice(0);
    const t0 = performance.now();
    router.decide(members, { prompt, model: 'bench-model', session: undefined }, random);
    samples[i] = (performance.now() - t0) * 1000;
    if (i % 100 === 99) rescrape();
  }
  samples.sort();
  let sum = 0;
  for (const s of samples) sum += s;
  const at = (q: number) => samples[Math.min(decisions - 1, Math.ceil(q * decisions) - 1)]!;
  return { members: n, promptChars, warmup, decisions, p50Us: at(0.5), p99Us: at(0.99), meanUs: sum / decisions };
}
