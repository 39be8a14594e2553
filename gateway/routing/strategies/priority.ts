/** priority: the order written in the config; a failed first choice falls to the next. */
import type { Strategy } from './types.js';

export const priority: Strategy = (candidates) => candidates.slice();
