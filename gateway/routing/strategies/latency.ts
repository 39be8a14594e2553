/**
 * latency: lowest peak-EWMA latency (time to first token for streams, total otherwise), chosen by power
 * of two choices weighted by in-flight load so traffic does not herd onto one deployment, with a little
 * exploration so a recovered or unsampled deployment is tried again.
 */
import { byScore, type Candidate, type RequestEstimate, type Strategy } from './types.js';

/** Probability that `latency` tries a random candidate first instead of the best of two. */
export const explorationRate = 0.05;

/** Latency the deployment is expected to add now: its peak-EWMA scaled by the queue in front of it. */
export function latencyScore(c: Candidate, request: RequestEstimate): number {
  const ewma = request.stream ? (c.stats.ttftMs ?? c.stats.latencyMs) : (c.stats.latencyMs ?? c.stats.ttftMs);
  // Unsampled deployments score 0: they are tried, and their first samples place them.
  return (ewma ?? 0) * (c.stats.inFlight + 1);
}

export const latency: Strategy = (candidates, request, random) => {
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
