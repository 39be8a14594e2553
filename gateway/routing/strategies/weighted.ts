/**
 * weighted: smooth weighted round robin by each target's `weight` (nginx's algorithm: even spacing,
 * exact shares over a cycle). The running weights are the route's StrategyState, so they survive a
 * reload that keeps the strategy. After the chosen one, the rest follow by weight as the failover order.
 */
import { byScore, shuffled, type Strategy } from './types.js';

export const weighted: Strategy = (candidates, _request, random, state) => {
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
  const rest = byScore(
    candidates.filter((c) => c !== best),
    (c) => -c.weight,
    random,
  );
  return [best, ...rest];
};
