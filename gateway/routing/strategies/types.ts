/**
 * A strategy orders a route's candidates for one request: the first is tried first, the rest are the
 * failover order. Strategies are pure functions of (candidates, stats snapshot, request estimate,
 * random); the only state any of them keeps (weighted round robin's running weights) is passed in.
 */
import type { StatsSnapshot } from '../../health/stats.js';

export interface Candidate {
  readonly id: string;
  /** Share of traffic for `weighted` (the route's weight for this deployment). */
  readonly weight: number;
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Concurrency the deployment can take, for `least-busy`; undefined when unknown. */
  readonly maxConcurrency: number | undefined;
  readonly stats: StatsSnapshot;
}

export interface RequestEstimate {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly stream: boolean;
}

/** State a stateful strategy keeps per route (smooth weighted round robin's current weights). */
export type StrategyState = Map<string, number>;

export type Strategy = <C extends Candidate>(
  candidates: readonly C[],
  request: RequestEstimate,
  random: () => number,
  state: StrategyState,
) => C[];

/** Fisher–Yates with the given random source: the tie-breaker, so config order never decides a tie. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** Ascending by score, ties in random order. */
export function byScore<C>(items: readonly C[], score: (c: C) => number, random: () => number): C[] {
  const keyed = shuffled(items, random).map((c) => ({ c, s: score(c) }));
  keyed.sort((a, b) => a.s - b.s);
  return keyed.map((k) => k.c);
}
