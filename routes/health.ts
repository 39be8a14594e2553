/**
 * Operations endpoints: liveness (the process answers), readiness (a config is loaded, every route
 * has a deployment it can use, and we are not shutting down: readiness fails as soon as shutdown starts,
 * while requests are still served) and Prometheus metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '../gateway/runtime/runtime.js';
import type { GatewayDeps } from './deps.js';

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** Routes with no deployment that could take a request now; empty when all is well. */
export function unusableRoutes(rt: Runtime): string[] {
  const out: string[] = [];
  for (const route of rt.routes.values()) {
    const usable = [...route.targets, ...route.fallbacks].some((d) => d.provider.pool.endpoints.length > 0 && d.operations.size > 0);
    if (!usable) out.push(route.name);
  }
  return out;
}

export function createHealthHandlers(deps: GatewayDeps) {
  return {
    live: (_req: IncomingMessage, res: ServerResponse): void => {
      sendJson(res, 200, { status: 'ok' });
    },
    ready: (_req: IncomingMessage, res: ServerResponse): void => {
      const rt = deps.runtime.current;
      // Draining: still serving, but load balancers must stop sending before the listener closes.
      if (deps.state.draining || deps.state.shuttingDown) return sendJson(res, 503, { status: 'shutting_down' });
      const unusable = unusableRoutes(rt);
      if (unusable.length > 0) return sendJson(res, 503, { status: 'not_ready', unusable_routes: unusable });
      // Open mode is said on every readiness answer, so a probe or a person checking a replica sees it.
      const auth = rt.keys.required ? 'keys' : 'open: no client keys are configured, any request is served';
      // Where limits are counted: redis (shared), memory (one replica), or a fallback while Redis is out.
      const limits = rt.limiter?.store.mode ?? 'none configured';
      sendJson(res, 200, { status: 'ready', routes: rt.routes.size, deployments: rt.deployments.size, auth, limits });
    },
    metrics: async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const { registry } = deps.metrics;
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}
