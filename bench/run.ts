/**
 * `npm run bench`: the gateway in front of a simulator against the same simulator reached directly, in
 * one run, for non-stream and streamed chat with a ~1 KB request. Reports latency percentiles, the
 * latency the gateway adds, the throughput ratio, and the gateway's CPU time per request.
 * Knobs: BENCH_REQUESTS (default 3000), BENCH_CONCURRENCY (default 16), BENCH_PROMPT_REPEAT (default
 * 18, a ~1 KB request; 2000 makes a ~96 KB conversation).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, runLoad, type LoadResult } from './load.js';
import { buildDist, processCpuSeconds, root, spawnReferenceProxy, spawnSwitchyard } from './processes.js';
import { measureRoutingDecisions } from './routing-decision.js';

const requests = Number(process.env.BENCH_REQUESTS ?? 3000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** Requests sent before each measured run, so the JIT has optimised the hot path and pools are open. */
const warmup = 1000;
const model = 'bench-model';

const prompt = 'Summarise the following notes about rail yards. '.repeat(Number(process.env.BENCH_PROMPT_REPEAT ?? 18));
const bodyFor = (m: string, stream: boolean) =>
  JSON.stringify({ model: m, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: prompt }], max_tokens: 16, temperature: 0, stream });

function row(name: string, r: LoadResult) {
  return {
    name,
    ok: r.latencyMs.length,
    errors: r.errors,
    rps: Math.round((r.latencyMs.length / r.wallMs) * 1000),
    p50: +percentile(r.latencyMs, 50).toFixed(2),
    p99: +percentile(r.latencyMs, 99).toFixed(2),
    ttfb50: +percentile(r.firstByteMs, 50).toFixed(2),
  };
}

async function main() {
  const sim = await spawnSwitchyard(['sim', '--kind', 'openai', '--port', '0', '--model', model, '--ttft-ms', '0', '--tpot-ms', '0', '--output-tokens', '16'], /(http:\/\/127\.0\.0\.1:\d+)\/v1/);
  const simOrigin = sim.match[1]!;
  const configPath = join(tmpdir(), `switchyard-bench-${process.pid}.yaml`);
  writeFileSync(configPath, `version: 1
providers:
  sim: { type: openai, base_url: ${simOrigin}/v1 }
deployments:
  bench@sim: { provider: sim, model: ${model} }
routes:
  bench: { targets: [bench@sim] }
`);
  buildDist();
  const gw = await spawnSwitchyard(['start', '--config', configPath, '--port', '0'], /listening on (http:\/\/\S+)/, { LOG_LEVEL: 'info' }, true);
  const gwOrigin = gw.match[1]!;
  try {
    const results: Record<string, ReturnType<typeof row> & { cpuUsPerRequest?: number }> = {};
    for (const stream of [false, true]) {
      const kind = stream ? 'stream' : 'non-stream';
      await runLoad(simOrigin, '/v1/chat/completions', bodyFor(model, stream), warmup, concurrency);
      await runLoad(gwOrigin, '/v1/chat/completions', bodyFor('bench', stream), warmup, concurrency);

      results[`direct ${kind}`] = row(`direct ${kind}`, await runLoad(simOrigin, '/v1/chat/completions', bodyFor(model, stream), requests, concurrency));
      const cpuBefore = await processCpuSeconds(`${gwOrigin}/metrics`);
      const via = await runLoad(gwOrigin, '/v1/chat/completions', bodyFor('bench', stream), requests, concurrency);
      const cpuAfter = await processCpuSeconds(`${gwOrigin}/metrics`);
      results[`gateway ${kind}`] = { ...row(`gateway ${kind}`, via), cpuUsPerRequest: Math.round(((cpuAfter - cpuBefore) * 1e6) / requests) };
    }
    // DESIGN.md's CPU budget is stated against these two proxies: measure them here, on the same load.
    const references: Record<string, { cpuUsPerRequest: number; rps: number; p50: number }> = {};
    for (const kind of ['raw', 'express'] as const) {
      const proxy = await spawnReferenceProxy(kind, simOrigin);
      try {
        const body = bodyFor('bench', false);
        await runLoad(proxy.origin, '/v1/chat/completions', body, warmup, concurrency);
        const before = await proxy.cpuMicros();
        const r = await runLoad(proxy.origin, '/v1/chat/completions', body, requests, concurrency);
        const after = await proxy.cpuMicros();
        const rr = row(kind, r);
        references[kind === 'raw' ? 'node:http + undici' : 'express 5 + express.json'] = { cpuUsPerRequest: Math.round((after - before) / requests), rps: rr.rps, p50: rr.p50 };
      } finally {
        await proxy.stop();
      }
    }
    const summary = (['non-stream', 'stream'] as const).map((kind) => {
      const d = results[`direct ${kind}`]!;
      const g = results[`gateway ${kind}`]!;
      return {
        kind,
        addedP50Ms: +(g.p50 - d.p50).toFixed(2),
        addedP99Ms: +(g.p99 - d.p99).toFixed(2),
        throughputRatio: +(g.rps / d.rps).toFixed(2),
        gatewayCpuUsPerRequest: g.cpuUsPerRequest,
      };
    });
    console.log(`\nSwitchyard benchmark: ${requests} requests per run, concurrency ${concurrency}, ~${bodyFor('bench', false).length} B request, 16 output tokens`);
    console.table(Object.values(results));
    console.table(summary);
    const routing = await measureRoutingDecisions();
    console.log('Routing decision (planCandidates, 20-deployment route, µs per decision):');
    console.table(routing);
    console.log('Reference proxies (non-stream, same load), the baselines of the CPU budget in DESIGN.md:');
    console.table(references);
    console.log('The gateway runs its compiled build (dist/, as in the Docker image) with request logs on (info level, to a pipe). CPU per request is the gateway process only (process_cpu_seconds_total), including the simulator traffic it proxies; the load generator and the simulator share the same 2 cores.');
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'latest.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, requests, concurrency, results, summary, references, routing }, null, 2));
  } finally {
    await gw.stop();
    await sim.stop();
  }
}

await main();
