/**
 * The routing strategies by name (the config's `routes.<name>.strategy`; the names are the config
 * schema's, and the Record type makes this table complete). One strategy a file; each is a pure
 * function of (candidates, stats snapshot, request estimate, random, its own state).
 */
import type { StrategyName } from '../../../config/schema.js';
import type { Strategy } from './types.js';
import { priority } from './priority.js';
import { weighted } from './weighted.js';
import { cost } from './cost.js';
import { latency } from './latency.js';
import { leastBusy } from './least-busy.js';

export const strategies: Readonly<Record<StrategyName, Strategy>> = {
  priority,
  weighted,
  cost,
  latency,
  'least-busy': leastBusy,
};

export { expectedCost } from './cost.js';
export { explorationRate, latencyScore } from './latency.js';
export type { Candidate, RequestEstimate, StrategyState } from './types.js';
export type { StrategyName };
