/**
 * The routing strategies by name (the config's `routes.<name>.strategy`).
 * - priority: the order written; a failed first choice falls to the next.
 * - weighted: smooth weighted round robin by `weight` (nginx's algorithm: even spacing, exact shares).
 * - cost: cheapest expected cost first, from the price per million input and output tokens and the
 *   request's estimated tokens.
 * - latency: lowest peak-EWMA latency (time to first token for streams, total otherwise), chosen by
 *   power of two choices weighted by in-flight load so traffic does not herd onto one deployment, with a
 *   little exploration so a recovered or unsampled deployment is tried again.
 * - least-busy: fewest in-flight requests relative to the deployment's concurrency limit.
 */
import type { StrategyName } from '../../../config/schema.js';
import { byScore, shuffled, type Candidate, type RequestEstimate, type Strategy, type StrategyState } from './types.js';


/** Probability that `latency` tries a random candidate first instead of the best of two. */
export const explorationRate = 0.05;

const priority: Strategy = (candidates) => candidates.slice();

const weighted: Strategy = (candidates, _request, random, state) => {
  let total = 0;
  let best: (typeof candidates)[number] | undefined;
  let bestCurrent = -Infinity;
  for (const c of shuffled(candidates, random)) {
    const current = (state.get(c.id) ?? 0) + c.weight;
    state.set(c.id, current);
    total += c.weight;
    if (current > bestCurrent) {
      bestCurrent = current;
      best = c;
    }
  }
  if (!best) return [];
  state.set(best.id, bestCurrent - total);
  const rest = byScore(candidates.filter((c) => c !== best), (c) => -c.weight, random);
  return [best, ...rest];
};

export function expectedCost(c: Candidate, request: RequestEstimate): number {
  return (request.inputTokens * c.inputPerMTok + request.outputTokens * c.outputPerMTok) / 1e6;
}

const cost: Strategy = (candidates, request, random) => byScore(candidates, (c) => expectedCost(c, request), random);

/** Latency the deployment is expected to add now: its peak-EWMA scaled by the queue in front of it. */
export function latencyScore(c: Candidate, request: RequestEstimate): number {
  const ewma = request.stream ? c.stats.ttftMs ?? c.stats.latencyMs : c.stats.latencyMs ?? c.stats.ttftMs;
  // Unsampled deployments score 0: they are tried, and their first samples place them.
  return (ewma ?? 0) * (c.stats.inFlight + 1);
}

const latency: Strategy = (candidates, request, random) => {
  const ordered = byScore(candidates, (c) => latencyScore(c, request), random);
  if (ordered.length < 2) return ordered;
  let first: (typeof ordered)[number];
  if (random() < explorationRate) {
    first = ordered[Math.floor(random() * ordered.length)]!;
  } else {
    const i = Math.floor(random() * ordered.length);
    let j = Math.floor(random() * (ordered.length - 1));
    if (j >= i) j += 1;
    const a = ordered[i]!;
    const b = ordered[j]!;
    first = latencyScore(a, request) <= latencyScore(b, request) ? a : b;
  }
  return [first, ...ordered.filter((c) => c !== first)];
};

/** Assumed concurrency for a deployment that declares none: the ratio then orders by in-flight alone. */
const defaultConcurrency = 100;

const leastBusy: Strategy = (candidates, _request, random) =>
  byScore(candidates, (c) => c.stats.inFlight / (c.maxConcurrency ?? defaultConcurrency), random);

export const strategies: Readonly<Record<StrategyName, Strategy>> = {
  priority,
  weighted,
  cost,
  latency,
  'least-busy': leastBusy,
};

export type { Candidate, RequestEstimate, StrategyName, StrategyState };
