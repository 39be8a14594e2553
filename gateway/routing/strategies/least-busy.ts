/** least-busy: fewest in-flight requests relative to the deployment's concurrency limit. */
import { byScore, type Strategy } from './types.js';

/** Assumed concurrency for a deployment that declares none: the ratio then orders by in-flight alone. */
const defaultConcurrency = 100;

export const leastBusy: Strategy = (candidates, _request, random) =>
  byScore(candidates, (c) => c.stats.inFlight / (c.maxConcurrency ?? defaultConcurrency), random);
