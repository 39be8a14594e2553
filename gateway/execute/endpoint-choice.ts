/**
 * Which endpoint of a deployment's provider one try goes to. A GPU pool routed on its servers' own
 * metrics (gpu-pool/) is told what it needs to score its endpoints: the request's body (its prompt,
 * for prefix affinity), the model asked of the pool, and the session header's value; every other
 * provider picks the less busy of two of its endpoints and is told nothing.
 */
import type { ClientRequest } from '../../adapters/types.js';
import type { Endpoint } from '../../upstream/endpoint-pool.js';
import type { DeploymentRuntime } from '../runtime/types.js';
import type { RequestContext } from './attempt-runner.js';

export function endpointFor(deployment: DeploymentRuntime, ctx: RequestContext, req: ClientRequest): Endpoint {
  const { provider } = deployment;
  const gpu = provider.gpuPool;
  if (gpu === undefined) return provider.pool.pick(ctx.random);
  const header = gpu.sessionHeader;
  const value = header === undefined ? undefined : ctx.headers?.[header];
  const session = typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
  return gpu.pick(ctx.random, { body: req.body, model: deployment.target.model, session });
}
