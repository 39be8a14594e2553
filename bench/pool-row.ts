/**
 * The GPU-pool row of `npm run bench`: what routing on a pool's own metrics costs per request. A vLLM
 * simulator (fixed timings, its /metrics page) behind two gateways of the same build: one with a plain
 * `vllm` provider (the less busy of two endpoints), one with the same provider as a `pool:` (readiness,
 * a scrape every 250 ms, the prompt rendered and hashed into prefix blocks, the scorers, the index
 * updated, the spill check in the plan), measured in alternating rounds under the same load.
 */
import { spawnSwitchyard } from './processes.js';
import { runLoad } from './load.js';
import { bodyFor, concurrency, measureGateway, medianRow, rounds, signed, warmup, type GatewayRow } from './measure.js';
import { startGatewayWith } from './limits.js';

const model = 'bench-pool-model';

const poolConfig = (simOrigin: string, pool: boolean) => `version: 1
providers:
  gpu:
    type: vllm
    base_url: ${simOrigin}/v1
${pool ? '    pool: { scrape: { interval_ms: 250 } }\n' : ''}deployments:
  bench@gpu: { provider: gpu, model: ${model} }
routes:
  bench: { targets: [bench@gpu] }
`;

export async function measurePoolRouting() {
  const sim = await spawnSwitchyard(
    [
      'sim',
      '--kind',
      'vllm',
      '--port',
      '0',
      '--model',
      model,
      '--ttft-ms',
      '0',
      '--tpot-ms',
      '0',
      '--output-tokens',
      '16',
      '--max-concurrency',
      '64',
    ],
    /(http:\/\/127\.0\.0\.1:\d+)\/v1/,
  );
  const simOrigin = sim.match[1]!;
  const variants = [
    { name: 'vllm provider', gw: await startGatewayWith(poolConfig(simOrigin, false), 'vllm-plain') },
    { name: 'vllm provider with pool:', gw: await startGatewayWith(poolConfig(simOrigin, true), 'vllm-pool') },
  ];
  try {
    const out = [];
    for (const stream of [false, true]) {
      const kind = stream ? 'stream' : 'non-stream';
      for (const v of variants) await runLoad(v.gw.origin, '/v1/chat/completions', bodyFor('bench', stream), warmup, concurrency);
      const measured = new Map<string, GatewayRow[]>(variants.map((v) => [v.name, []]));
      for (let i = 0; i < rounds; i++)
        for (const v of variants) measured.get(v.name)!.push(await measureGateway(v.name, v.gw.origin, stream));
      const [plainRows, poolRows] = variants.map((v) => measured.get(v.name)!) as [GatewayRow[], GatewayRow[]];
      const plain = medianRow('plain', plainRows);
      const pool = medianRow('pool', poolRows);
      out.push({
        path: kind,
        'CPU µs/request, plain': plain.cpuUsPerRequest,
        'CPU µs/request, pool': pool.cpuUsPerRequest,
        'pool − plain (µs)': signed(pool.cpuUsPerRequest! - plain.cpuUsPerRequest!, 0),
        'per round (pool − plain)': poolRows.map((r, i) => signed(r.cpuUsPerRequest! - plainRows[i]!.cpuUsPerRequest!, 0)).join(', '),
        'added p50 (ms)': signed(pool.p50 - plain.p50),
        errors: plain.errors + pool.errors,
      });
    }
    return out;
  } finally {
    for (const v of variants) await v.gw.stop();
    await sim.stop();
  }
}
