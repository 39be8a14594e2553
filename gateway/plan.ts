/**
 * Which deployments a request may try, in order. For now: the route's targets as written, then its
 * fallbacks, keeping those that serve the operation. The routing engine (strategies over live stats,
 * open breakers, context windows, capabilities) replaces the ordering here and nowhere else.
 */
import type { Operation } from '../adapters/types.js';
import type { DeploymentRuntime, RouteRuntime } from './runtime.js';

export function planCandidates(route: RouteRuntime, operation: Operation): DeploymentRuntime[] {
  const out: DeploymentRuntime[] = [];
  for (const d of route.targets) if (d.operations.has(operation)) out.push(d);
  for (const d of route.fallbacks) if (d.operations.has(operation) && !out.includes(d)) out.push(d);
  return out;
}
