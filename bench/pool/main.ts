/**
 * `npm run bench:pool`: GPU-pool routers compared on simulated vLLM engines (sim/engine) on a virtual
 * clock — round-robin, random, least-request and switchyard (gpu-pool/router.ts, fed by real /metrics
 * scrapes) — over seeded workloads (bench/pool/workload.ts). Prints Markdown tables and the aims check.
 *
 * Default run:
 * 1. shared-prefix (150 groups × 6 000-token prefix + 1 200-token question, 1 000 output tokens, 4 ×
 *    llama-3.1-8b-h100): a rate sweep, round-robin and switchyard, to find the highest rate each
 *    sustains (`sustainCriterion` in harness.ts);
 * 2. the four routers at round-robin's highest sustained rate, and again at switchyard's;
 * 3. every other preset at its moderate rate;
 * 4. the decision-time micro run (8 members, 16 000-character prompts, a full prefix index, 10 000
 *    decisions).
 *
 * Knobs (environment, or the same as --flags: --presets=…, --rates=…):
 *   BENCH_POOL_PRESETS   presets after the sweep (default: multi-turn,small-groups,no-reuse,faulty)
 *   BENCH_POOL_RATES     the sweep's rates, req/s (default 10,15,20,22,24,26,28,30,35,40,45,50,60,70,80)
 *   BENCH_POOL_RATE      the rate of the other presets (default: each preset's own)
 *   BENCH_POOL_ENDPOINTS endpoints per pool (default 4)
 *   BENCH_POOL_PROFILE   engine profile (default llama-3.1-8b-h100; or llama-3.3-70b-4xh100)
 *   BENCH_POOL_REQUESTS  requests per run (default 3000: 20 a group in shared-prefix, so its steady state
 *                        outweighs each group's first, cold request per server; quick 300)
 *   BENCH_POOL_DURATION_S  instead of a request count: seconds of arrivals per run
 *   BENCH_POOL_SEEDS     comma-separated seeds; each run is repeated per seed (default 1)
 *   BENCH_POOL_SCRAPE_MS scrape interval (default 250 ms: the shortest the gateway's `pool.scrape.interval_ms` allows)
 *   BENCH_POOL_SPILL     switchyard on saturation: cloud (default) or queue
 *   BENCH_POOL_GROUPS, BENCH_POOL_PREFIX_TOKENS, BENCH_POOL_QUESTION_TOKENS, BENCH_POOL_OUTPUT_TOKENS,
 *   BENCH_POOL_USERS, BENCH_POOL_TURNS, BENCH_POOL_THINK_MS
 *                        the workload's shape, replacing the presets' own values in every preset run
 *                        (groups, shared prefix length, question length, output length, users per group,
 *                        turns per conversation, think time between turns)
 *   BENCH_POOL_QUICK=1   a small, fast run
 *   BENCH_POOL_OUT=file  also write the Markdown to this file
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measureDecisionTime, type DecisionTiming } from './decision.js';
import {
  profileOf,
  routerNames,
  runPool,
  sustainCriterion,
  sustained,
  type RunOptions,
  type RunResult,
  type SpillMode,
} from './harness.js';
import { markdownTable, runTable } from './report.js';
import { generateWorkload, presetNames, presets, workload, type PresetName, type WorkloadParams } from './workload.js';

function setting(name: string): string | undefined {
  const flag = `--${name
    .toLowerCase()
    .replace(/^bench_pool_/, '')
    .replaceAll('_', '-')}`;
  for (const arg of process.argv.slice(2)) {
    if (arg === flag) return '1';
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  const env = process.env[name]?.trim();
  return env === '' ? undefined : env;
}

const numbers = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n > 0);

export interface PoolBenchSettings {
  readonly quick: boolean;
  readonly presets: readonly PresetName[];
  readonly sweepRates: readonly number[];
  readonly rate: number | undefined;
  readonly endpoints: number;
  /** Engine profile (sim/engine/profiles.ts). */
  readonly profile: string;
  readonly requests: number;
  /** Instead of a request count: seconds of arrivals per run. */
  readonly durationS: number | undefined;
  readonly seeds: readonly number[];
  readonly scrapeIntervalMs: number;
  readonly spill: SpillMode;
  /** The workload's shape where the environment sets it (every preset run). */
  readonly shape: Partial<WorkloadParams>;
}

const shapeSettings = {
  BENCH_POOL_GROUPS: 'groups',
  BENCH_POOL_PREFIX_TOKENS: 'prefixTokens',
  BENCH_POOL_QUESTION_TOKENS: 'questionTokens',
  BENCH_POOL_OUTPUT_TOKENS: 'outputTokens',
  BENCH_POOL_USERS: 'usersPerGroup',
  BENCH_POOL_TURNS: 'turns',
  BENCH_POOL_THINK_MS: 'thinkTimeMs',
} as const satisfies Record<string, keyof WorkloadParams>;

function shapeFromEnv(): Partial<WorkloadParams> {
  const shape: Record<string, number> = {};
  for (const [name, key] of Object.entries(shapeSettings)) {
    const value = numbers(setting(name))?.[0];
    if (value !== undefined) shape[key] = value;
  }
  return shape as Partial<WorkloadParams>;
}

export function settingsFromEnv(): PoolBenchSettings {
  const quick = setting('BENCH_POOL_QUICK') === '1' || setting('BENCH_POOL_QUICK') === 'true';
  const chosen = (setting('BENCH_POOL_PRESETS') ?? 'multi-turn,small-groups,no-reuse,faulty')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const p of chosen) if (!presetNames.includes(p as PresetName)) throw new Error(`unknown preset ${p} (${presetNames.join(', ')})`);
  const spill = setting('BENCH_POOL_SPILL') ?? 'cloud';
  if (spill !== 'cloud' && spill !== 'queue') throw new Error(`BENCH_POOL_SPILL: cloud or queue, not ${spill}`);
  return {
    quick,
    presets: chosen as PresetName[],
    sweepRates:
      numbers(setting('BENCH_POOL_RATES')) ??
      (quick ? [10, 20, 25, 30, 40, 50] : [10, 15, 20, 22, 24, 26, 28, 30, 35, 40, 45, 50, 60, 70, 80]),
    rate: numbers(setting('BENCH_POOL_RATE'))?.[0],
    endpoints: numbers(setting('BENCH_POOL_ENDPOINTS'))?.[0] ?? 4,
    profile: setting('BENCH_POOL_PROFILE') ?? presets['shared-prefix'].profile,
    requests: numbers(setting('BENCH_POOL_REQUESTS'))?.[0] ?? (quick ? 750 : 3000),
    durationS: numbers(setting('BENCH_POOL_DURATION_S'))?.[0],
    seeds: numbers(setting('BENCH_POOL_SEEDS')) ?? [1],
    scrapeIntervalMs: numbers(setting('BENCH_POOL_SCRAPE_MS'))?.[0] ?? 250,
    spill,
    shape: shapeFromEnv(),
  };
}

/** The moderate rate of each preset other than the sweep's (4 endpoints; scaled with the pool size). */
const moderateRate: Record<PresetName, number> = {
  'shared-prefix': 20,
  'multi-turn': 20,
  'small-groups': 40,
  'no-reuse': 40,
  faulty: 12,
};

const out: string[] = [];
function print(text = '') {
  console.log(text);
  out.push(text);
}

/** The routers compared in a table: the four, plus switchyard queueing instead of spilling (or the reverse). */
function comparisons(s: PoolBenchSettings): RunOptions[] {
  const other: SpillMode = s.spill === 'cloud' ? 'queue' : 'cloud';
  return [
    ...routerNames.map((router): RunOptions => ({
      router,
      spill: s.spill,
      label: router === 'switchyard' ? `switchyard (spill→${s.spill})` : router,
    })),
    { router: 'switchyard', spill: other, label: `switchyard (spill→${other})` },
  ];
}

function runAll(params: WorkloadParams, s: PoolBenchSettings, options: readonly RunOptions[]): RunResult[] {
  const rows: RunResult[] = [];
  for (const seed of s.seeds) {
    const work = generateWorkload({ ...params, seed });
    for (const o of options) {
      const r = runPool(work, o);
      rows.push(s.seeds.length > 1 ? { ...r, label: `${r.label} seed ${seed}` } : r);
    }
  }
  return rows;
}

function params(preset: PresetName, s: PoolBenchSettings, rate: number): WorkloadParams {
  return workload(preset, {
    ...s.shape,
    rate,
    endpoints: s.endpoints,
    requests: preset === 'multi-turn' ? Math.round(s.requests * 0.8) : s.requests,
    scrapeIntervalMs: s.scrapeIntervalMs,
    profile: s.profile,
    ...(s.durationS !== undefined ? { durationS: s.durationS } : {}),
  });
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const byRouter = (rows: readonly RunResult[], label: string) => rows.filter((r) => r.label.startsWith(label));
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
const check = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

interface SweepRow {
  rate: number;
  rr: RunResult | undefined;
  sy: RunResult | undefined;
}

export function runPoolBench(s: PoolBenchSettings): { markdown: string; decision: DecisionTiming } {
  out.length = 0;
  const profile = profileOf(s.profile);
  const cacheTokens = profile.kvBlocks * profile.blockSize;
  const sp = presets['shared-prefix'];
  const shared = sp.groups * sp.prefixTokens;
  print(`# bench:pool — GPU-pool routers on simulated vLLM engines (virtual clock)`);
  print();
  print(
    `Engines: ${profile.name} (${profile.source}). Pool: ${s.endpoints} endpoints, scraped every ${s.scrapeIntervalMs} ms. ` +
      `Seeds: ${s.seeds.join(', ')}. Requests per run: ${s.durationS !== undefined ? `${s.durationS} s of arrivals` : s.requests}.${s.quick ? " QUICK run: fewer requests (5 a group in shared-prefix, as llm-d's benchmark), a coarser sweep, no overload table; its cold misses weigh more than in the default run." : ''}`,
  );
  const pool = s.endpoints * cacheTokens;
  const fits =
    shared > cacheTokens && shared < pool
      ? 'more than one server holds but less than the pool does: only routing by prefix can keep it all cached (the point of the preset)'
      : shared <= cacheTokens
        ? "which one server holds alone: this profile does not make the preset's point"
        : 'more than the whole pool holds: even perfect routing must evict';
  print(
    `shared-prefix: ${sp.groups} groups × ${sp.prefixTokens} prefix tokens = ${shared.toLocaleString('en')} tokens of shared context; ` +
      `one server's KV cache is ${profile.kvBlocks.toLocaleString('en')} blocks × ${profile.blockSize} = ${cacheTokens.toLocaleString('en')} tokens, ` +
      `the pool's ${pool.toLocaleString('en')}: ${fits}.`,
  );
  print();
  print(`Sustained: ${sustainCriterion}, success ≥ 99 %.`);
  print(
    'switchyard spill: a saturated decision sends the request to the cloud (counted in "spilled", not simulated, excluded from GPU latency and throughput) or, with spill→queue, queues it on the ready member with the fewest in flight. The baselines never spill.',
  );
  print();

  // Warm the router's code up (JIT) so that the first run's decision times are not the interpreter's.
  measureDecisionTime({ members: s.endpoints, warmup: 200, decisions: 2000 });

  // 1. The sweep.
  const sweep: SweepRow[] = [];
  let rrDone = false;
  let syDone = false;
  for (const rate of s.sweepRates) {
    if (rrDone && syDone) break;
    const work = generateWorkload({ ...params('shared-prefix', s, rate), seed: s.seeds[0]! });
    const rr = rrDone ? undefined : runPool(work, { router: 'round-robin' });
    const sy = syDone ? undefined : runPool(work, { router: 'switchyard', spill: 'queue', label: 'switchyard (spill→queue)' });
    if (rr !== undefined && !sustained(rr)) rrDone = true;
    if (sy !== undefined && !sustained(sy)) syDone = true;
    sweep.push({ rate, rr, sy });
  }
  const highest = (pick: (row: SweepRow) => RunResult | undefined) => {
    let best: number | undefined;
    for (const row of sweep) {
      const r = pick(row);
      if (r === undefined || !sustained(r)) break;
      best = row.rate;
    }
    return best;
  };
  const rrMax = highest((r) => r.rr);
  const syMax = highest((r) => r.sy);
  const cell = (r: RunResult | undefined) =>
    r === undefined
      ? '–'
      : `${(r.steadyTokensPerS / 1000).toFixed(1)}k/${(r.offeredTokensPerS / 1000).toFixed(1)}k, p90 ${(r.ttftMs.p90 / 1000).toFixed(2)} s, ${sustained(r) ? 'yes' : 'no'}`;
  print(`## shared-prefix: rate sweep (seed ${s.seeds[0]}; switchyard with spill→queue, so every request is served on the GPUs)`);
  print();
  print(
    markdownTable(sweep, [
      { title: 'rate req/s', value: (r) => String(r.rate) },
      { title: 'round-robin: steady/offered tok/s, TTFT p90, sustained', value: (r) => cell(r.rr) },
      { title: 'switchyard: steady/offered tok/s, TTFT p90, sustained', value: (r) => cell(r.sy) },
    ]),
  );
  print();
  const sweepTop = s.sweepRates[s.sweepRates.length - 1];
  print(
    `Highest sustained rate: round-robin ${rrMax ?? `< ${s.sweepRates[0]}`} req/s, switchyard ${syMax ?? `< ${s.sweepRates[0]}`} req/s` +
      (syMax !== undefined && syMax === sweepTop ? ' (the top of the sweep: raise BENCH_POOL_RATES to find its limit)' : '') +
      '.',
  );
  print();

  // 2. The four routers at round-robin's highest rate, and at switchyard's.
  const atRr = rrMax ?? s.sweepRates[0]!;
  const rowsRr = runAll(params('shared-prefix', s, atRr), s, comparisons(s));
  print(`## shared-prefix at ${atRr} req/s (round-robin's highest sustained rate)`);
  print();
  print(runTable(rowsRr));
  print();
  let rowsSy: RunResult[] = [];
  const atSy = syMax !== undefined && syMax > atRr ? syMax : undefined;
  if (atSy !== undefined) {
    rowsSy = runAll(params('shared-prefix', s, atSy), s, comparisons(s));
    print(`## shared-prefix at ${atSy} req/s (switchyard's highest sustained rate)`);
    print();
    print(runTable(rowsSy));
    print();
  }

  // Overload: above switchyard's highest sustained rate, where its saturation detection spills.
  let rowsOver: RunResult[] = [];
  const over = syMax !== undefined ? Math.round(syMax * 1.25) : undefined;
  if (over !== undefined && !s.quick) {
    rowsOver = runAll(params('shared-prefix', s, over), s, [
      ...comparisons(s).filter((o) => o.router !== 'random'),
      {
        router: 'switchyard',
        spill: 'cloud',
        routing: { maxQueue: 5, maxKvCache: 0.8 },
        label: 'switchyard (spill→cloud, GIE thresholds: queue 5, KV 0.8)',
      },
    ]);
    print(`## shared-prefix at ${over} req/s (overload: 1.25 × switchyard's highest sustained rate)`);
    print();
    print(runTable(rowsOver));
    print();
    print(
      "Past its limit the pool spills what it cannot take (spill→cloud) instead of queueing it (spill→queue): GPU-side latency stays bounded while the queued variant collapses like round-robin. The last row uses the GIE saturation detector's own thresholds instead of the looser defaults.",
    );
    print();
  }

  // 3. The other presets.
  const presetRows = new Map<PresetName, RunResult[]>();
  for (const preset of s.presets) {
    const rate = s.rate ?? (moderateRate[preset] * s.endpoints) / 4;
    const p = params(preset, s, rate);
    const rows = runAll(p, s, comparisons(s));
    presetRows.set(preset, rows);
    print(`## ${preset} at ${rate} req/s`);
    print();
    print(describe(p));
    print();
    print(runTable(rows));
    print();
  }

  // 4. Decision time.
  const decision = measureDecisionTime(s.quick ? { decisions: 2000 } : {});
  print(`## Decision time (switchyard's decide(), prompt hashing included, wall clock)`);
  print();
  print(
    markdownTable(
      [decision],
      [
        { title: 'members', value: (d) => String(d.members) },
        { title: 'prompt chars', value: (d) => String(d.promptChars) },
        { title: 'warm-up decisions (index filled)', value: (d) => String(d.warmup) },
        { title: 'timed decisions', value: (d) => String(d.decisions) },
        { title: 'p50 µs', value: (d) => d.p50Us.toFixed(1) },
        { title: 'p99 µs', value: (d) => d.p99Us.toFixed(1) },
        { title: 'mean µs', value: (d) => d.meanUs.toFixed(1) },
      ],
    ),
  );
  print();

  // 5. The aims.
  print('## Aims');
  print();
  const syLabel = `switchyard (spill→${s.spill})`;
  const syQueue = 'switchyard (spill→queue)';
  if (atSy !== undefined) {
    const tSy = mean(byRouter(rowsSy, syQueue).map((r) => r.steadyTokensPerS));
    const tRr = mean(byRouter(rowsSy, 'round-robin').map((r) => r.steadyTokensPerS));
    const t = ratio(tSy, tRr);
    print(
      `- Throughput vs round-robin at ${atSy} req/s (steady output tok/s, switchyard all on GPU): ${t.toFixed(2)}× (aim ≥ 1.6×): ${check(t >= 1.6)}. ` +
        `Highest sustained rate: ${syMax} vs ${rrMax} req/s = ${ratio(syMax ?? NaN, rrMax ?? NaN).toFixed(2)}×.`,
    );
  } else print('- Throughput vs round-robin: switchyard sustained no higher rate than round-robin in the sweep: NOT MET.');
  const p90Rr = mean(byRouter(rowsRr, 'round-robin').map((r) => r.ttftMs.p90));
  const p90Sy = mean(byRouter(rowsRr, syLabel).map((r) => r.ttftMs.p90));
  const p90Ratio = ratio(p90Rr, p90Sy);
  print(
    `- TTFT p90 at ${atRr} req/s: round-robin ${p90Rr.toFixed(0)} ms, switchyard ${p90Sy.toFixed(0)} ms = ${p90Ratio.toFixed(2)}× lower (aim ≥ 3×): ${check(p90Ratio >= 3)}.`,
  );
  const hit = mean(byRouter(rowsRr, syLabel).map((r) => r.prefixHitRate));
  const maxHit = sp.prefixTokens / (sp.prefixTokens + sp.questionTokens);
  print(
    `- Prefix-cache hit rate (switchyard, shared-prefix at ${atRr} req/s): ${(hit * 100).toFixed(1)} % (aim ≥ 70 %; the ceiling is ${(maxHit * 100).toFixed(1)} %, as questions never hit, less each group's first request per server): ${check(hit >= 0.7)}.`,
  );
  const noReuse = presetRows.get('no-reuse');
  if (noReuse !== undefined) {
    const sy = byRouter(noReuse, syLabel);
    const lr = byRouter(noReuse, 'least-request');
    const tput = ratio(mean(sy.map((r) => r.outputTokensPerS)), mean(lr.map((r) => r.outputTokensPerS)));
    const ttft = ratio(mean(sy.map((r) => r.ttftMs.mean)), mean(lr.map((r) => r.ttftMs.mean)));
    const p90 = ratio(mean(sy.map((r) => r.ttftMs.p90)), mean(lr.map((r) => r.ttftMs.p90)));
    print(
      `- no-reuse vs least-request: throughput ${(tput * 100).toFixed(1)} %, TTFT mean ${(ttft * 100).toFixed(1)} %, TTFT p90 ${(p90 * 100).toFixed(1)} % of least-request's (aim: within 5 %): ` +
        `throughput ${check(Math.abs(tput - 1) <= 0.05)}, TTFT mean ${check(ttft <= 1.05)}, TTFT p90 ${check(p90 <= 1.05)}.`,
    );
  }
  print(`- Decision p99 (micro run): ${decision.p99Us.toFixed(0)} µs (aim ≤ 1 000 µs): ${check(decision.p99Us <= 1000)}.`);
  const inSim = [...rowsRr, ...rowsSy, ...rowsOver, ...[...presetRows.values()].flat()].filter((r) => r.router === 'switchyard');
  if (inSim.length > 0) {
    print(
      `- Decision p99 inside the simulated runs (switchyard rows; same process as the simulation, so GC pauses of the simulator land in it too): ` +
        `max ${Math.max(...inSim.map((r) => r.decisionUs.p99)).toFixed(0)} µs, median p50 ${mean(inSim.map((r) => r.decisionUs.p50)).toFixed(0)} µs.`,
    );
  }
  print();
  print(
    'Faults (faulty preset): one endpoint steps 3× slower, another is killed part-way (its in-flight requests fail, no retry). switchyard marks it not ready at its next scrape and routes around it; round-robin and random keep sending it their share, and least-request keeps picking it (it always has the fewest in flight), so their later requests there fail — they have no health signal in this harness.',
  );
  return { markdown: out.join('\n'), decision };
}

function describe(p: WorkloadParams): string {
  const parts = [
    p.groups > 0 ? `${p.groups} groups × ${p.prefixTokens}-token prefix` : 'no shared prefix',
    `${p.questionTokens}-token questions`,
    `${p.outputTokens} output tokens${p.outputJitter > 0 ? ` (±${p.outputJitter * 100} %)` : ''}`,
    p.turns > 1
      ? `${p.turns} turns, ${p.thinkTimeMs / 1000} s think time (the prompt grows by each answer and question)`
      : 'single requests',
    `${p.requests} requests, Poisson arrivals`,
  ];
  if (p.faults?.slow) parts.push(`endpoint ${p.faults.slow.endpoint} ${p.faults.slow.factor}× slower`);
  if (p.faults?.kill) parts.push(`endpoint ${p.faults.kill.endpoint} killed at ${p.faults.kill.atFraction * 100} % of the arrival window`);
  return parts.join('; ') + '.';
}

const isMain = process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const started = performance.now();
  const settings = settingsFromEnv();
  const { markdown } = runPoolBench(settings);
  const file = setting('BENCH_POOL_OUT');
  if (file !== undefined) writeFileSync(file, markdown + '\n');
  console.log(
    `\n(${((performance.now() - started) / 1000).toFixed(0)} s wall${file !== undefined ? `; Markdown written to ${file}` : ''})`,
  );
}
