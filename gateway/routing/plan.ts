/**
 * Which deployments a request may try, in order: the route's targets that are available now (breaker
 * not open, no rate-limit cooldown, not drained) ordered by the route's strategy over a snapshot of
 * live stats, then its fallbacks in the order written, then any ejected ones as a last resort. A front
 * door's request that needs its own wire (NativeRequest.required) is planned on deployments that speak it.
 */
import { speaksNative, type ClientRequest, type NativeRequest, type Operation } from '../../adapters/types.js';
import type { DeploymentRuntime, RouteRuntime } from '../runtime/types.js';
import { strategies, type Candidate, type RequestEstimate } from './strategies/index.js';

interface PlanCandidate extends Candidate {
  readonly deployment: DeploymentRuntime;
}

/** Output tokens assumed when the request sets no limit (cost estimates only). */
const defaultOutputTokens = 256;

/** A cheap token estimate (about four bytes a token): enough to compare prices, never billed. */
export function estimateRequest(req: ClientRequest): RequestEstimate {
  const limit = req.body.max_completion_tokens ?? req.body.max_tokens;
  return {
    inputTokens: Math.ceil(req.raw.length / 4),
    outputTokens: typeof limit === 'number' ? limit : defaultOutputTokens,
    stream: req.stream,
  };
}

function usable(d: DeploymentRuntime, operation: Operation, now: number, native: NativeRequest | undefined): boolean {
  if (native?.required === true && !speaksNative(d.provider.adapter, { native })) return false;
  return d.operations.has(operation) && d.health.available(now, true) && d.provider.pool.anyHealthy;
}

const deploymentOf = (c: PlanCandidate): DeploymentRuntime => c.deployment;

/** A GPU pool that left a request's plan because every endpoint of it is full (gpu-pool/). */
export interface Spill {
  readonly deployment: DeploymentRuntime;
  /** Why its endpoints are full: queue, kv_cache, stale or not_ready. */
  readonly reason: string;
}

/**
 * Moves the deployments on a saturated GPU pool behind every other candidate: the next one takes the
 * request in this same decision, with no failed attempt. They stay at the very end, so that a request
 * whose other candidates all fail still gets the pool's queue rather than an error; when nothing else
 * is in the plan, nothing spills (the pool queues the request). Returns the spills (empty: none).
 */
function spillSaturated(ordered: DeploymentRuntime[]): Spill[] {
  let saturated: Spill[] | undefined;
  let firstOpen = -1;
  for (let i = 0; i < ordered.length; i += 1) {
    const d = ordered[i]!;
    const reason = d.provider.gpuPool?.spill();
    if (reason !== undefined) (saturated ??= []).push({ deployment: d, reason });
    else if (firstOpen < 0) firstOpen = i;
  }
  if (saturated === undefined || firstOpen < 0) return noSpills;
  let w = 0;
  for (const d of ordered) if (!saturated.some((s) => s.deployment === d)) ordered[w++] = d;
  for (const s of saturated) ordered[w++] = s.deployment;
  // Spilled: the pools that would have been tried before the deployment that now goes first.
  return saturated.slice(0, firstOpen);
}

const noSpills: Spill[] = [];

export function planCandidates(
  route: RouteRuntime,
  operation: Operation,
  estimate: RequestEstimate,
  now: number,
  random: () => number,
  /** A front door's request that only a deployment speaking its wire can answer leaves the others out. */
  native?: NativeRequest,
  /** Receives the GPU pools that spilled this request (saturated: moved behind the other candidates). */
  spilled?: (spills: readonly Spill[]) => void,
): DeploymentRuntime[] {
  // Ejected deployments get no first-choice traffic but stay at the end of the plan as a last resort:
  // ejecting most of a route must not remove the redundancy that failover needs (Envoy caps ejection
  // for the same reason). Open breakers, cooldowns and drains do remove a deployment.
  const ejected: DeploymentRuntime[] = [];
  const candidates: PlanCandidate[] = [];
  for (const d of route.targets) {
    if (!usable(d, operation, now, native)) continue;
    if (d.health.ejected(now)) {
      ejected.push(d);
      continue;
    }
    candidates.push({
      id: d.id,
      weight: route.weights.get(d.id) ?? 1,
      inputPerMTok: d.price.inputPerMTok,
      outputPerMTok: d.price.outputPerMTok,
      maxConcurrency: d.maxConcurrency,
      stats: d.health.stats.snapshot(now),
      deployment: d,
    });
  }
  const ordered = strategies[route.strategy](candidates, estimate, random, route.strategyState).map(deploymentOf);
  for (const d of route.fallbacks) {
    if (!usable(d, operation, now, native) || ordered.includes(d) || ejected.includes(d)) continue;
    if (d.health.ejected(now)) ejected.push(d);
    else ordered.push(d);
  }
  const plan = ejected.length === 0 ? ordered : ordered.concat(ejected);
  if (route.hasGpuPool) {
    const spills = spillSaturated(plan);
    if (spills.length > 0) spilled?.(spills);
  }
  return plan;
}

/** Whether the route has a deployment for this operation at all (healthy or not). */
export function servesOperation(route: RouteRuntime, operation: Operation): boolean {
  return route.operations.has(operation);
}
