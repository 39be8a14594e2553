/**
 * The reference proxies of `npm run bench`: DESIGN.md states the gateway's CPU budget against a raw
 * node:http + undici proxy and a bare Express 5 + express.json one, measured here on the same load.
 */
import { runLoad } from './load.js';
import { spawnReferenceProxy } from './processes.js';
import { bodyFor, concurrency, model, requests, row, warmup } from './measure.js';

// DESIGN.md's CPU budget is stated against these two proxies: measure them here, on the same load.
export async function measureReferences(simOrigin: string) {
  const references: Record<string, { cpuUsPerRequest: number; rps: number; p50: number; errors: number }> = {};
  for (const kind of ['raw', 'express'] as const) {
    // The simulator serves its own model alone: the proxies rename the request's, as a router would.
    const proxy = await spawnReferenceProxy(kind, simOrigin, model);
    try {
      const body = bodyFor('bench', false);
      await runLoad(proxy.origin, '/v1/chat/completions', body, warmup, concurrency);
      const before = await proxy.cpuMicros();
      const r = await runLoad(proxy.origin, '/v1/chat/completions', body, requests, concurrency);
      const after = await proxy.cpuMicros();
      const rr = row(kind, r);
      references[kind === 'raw' ? 'node:http + undici' : 'express 5 + express.json'] = {
        cpuUsPerRequest: Math.round((after - before) / requests),
        rps: rr.rps,
        p50: rr.p50,
        errors: rr.errors,
      };
    } finally {
      await proxy.stop();
    }
  }
  return references;
}
