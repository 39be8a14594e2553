/**
 * Routing decision time: planCandidates over a 20-deployment route, for each strategy, in process, with
 * live-looking stats. Reports p50/p99 per decision in microseconds. The runtime and planner come from
 * the compiled build (bench/processes.ts buildDist), as production runs them, not from tsx's transform.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './processes.js';
import type { Config } from '../config/schema.js';
import { loadConfigText } from '../config/loader.js';
import { strategyNames } from '../config/schema.js';

function configFor(strategy: string): Config {
  const deployments = Array.from(
    { length: 20 },
    (_, i) =>
      `  d${i}: { provider: p, model: m${i}, price: { input_per_mtok: ${(i % 7) + 0.5}, output_per_mtok: ${(i % 5) + 1} }, max_concurrency: ${8 + i}, allow_floating: true }`,
  ).join('\n');
  const weights = Array.from({ length: 20 }, (_, i) => `d${i}: ${1 + (i % 4)}`).join(', ');
  const text = `version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
${deployments}
routes:
  r:
    strategy: ${strategy}
    targets: [${Array.from({ length: 20 }, (_, i) => `d${i}`).join(', ')}]
${strategy === 'weighted' ? `    weights: { ${weights} }` : ''}
`;
  const r = loadConfigText(text, 'bench.yaml', {});
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

export async function measureRoutingDecisions(iterations = 20_000): Promise<Record<string, { p50Us: number; p99Us: number }>> {
  const compiled = (path: string) => pathToFileURL(join(root, 'dist', path)).href;
  const { buildRuntime } = (await import(compiled('gateway/runtime/build.js'))) as typeof import('../gateway/runtime/build.js');
  const { planCandidates } = (await import(compiled('gateway/routing/plan.js'))) as typeof import('../gateway/routing/plan.js');
  const out: Record<string, { p50Us: number; p99Us: number }> = {};
  for (const strategy of strategyNames) {
    const rt = buildRuntime(configFor(strategy));
    const route = rt.routes.get('r')!;
    let t = performance.now();
    // Give every deployment some history so latency and least-busy have numbers to compare.
    for (const d of rt.deployments.values()) {
      for (let i = 0; i < 20; i += 1) d.health.stats.succeeded((t += 1), 50 + Math.random() * 200, 20 + Math.random() * 80);
      d.health.stats.inFlight = Math.floor(Math.random() * 8);
    }
    const estimate = { inputTokens: 250, outputTokens: 256, stream: false };
    const samples = new Float64Array(iterations);
    for (let i = 0; i < iterations; i += 1) {
      const start = performance.now();
      planCandidates(route, 'chat', estimate, start, Math.random);
      samples[i] = (performance.now() - start) * 1000;
    }
    samples.sort();
    out[strategy] = {
      p50Us: +samples[Math.floor(iterations * 0.5)]!.toFixed(2),
      p99Us: +samples[Math.floor(iterations * 0.99)]!.toFixed(2),
    };
    await rt.close();
  }
  return out;
}
