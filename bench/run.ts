/**
 * `npm run bench`: the gateway in front of a simulator against the same simulator reached directly, in
 * one run, for non-stream and streamed chat with a ~1 KB request. Reports latency percentiles, the
 * latency the gateway adds, the throughput ratio, and the gateway's CPU time per request.
 * Knobs: BENCH_REQUESTS (default 3000), BENCH_CONCURRENCY (default 16), BENCH_PROMPT_REPEAT (default
 * 18, a ~1 KB request; 2000 makes a ~96 KB conversation).
 *
 * Before/after in one run: BENCH_BASELINE=<git ref> (e.g. HEAD~3 or a commit id) also measures the
 * gateway as built from that ref, under the same load, config, environment and simulator. The ref is
 * checked out in a temporary detached `git worktree` under os.tmpdir() (this checkout's node_modules
 * symlinked in when the ref's package-lock.json is the current one, else `npm ci` there), compiled
 * with tsc -p tsconfig.build.json, and removed at the end (also on failure and Ctrl-C); if its config
 * schema rejects the bench config, the config its own bench/run.ts writes is used instead. Both
 * gateways run side by side and are measured in alternation, to spread this machine's drift over
 * both: after a warm-up of each, BENCH_ROUNDS (default 3) rounds of direct, baseline, current, with
 * BENCH_REQUESTS each. It prints every round, the median per path, and current − baseline: CPU
 * µs/request and its ratio, p50/p99 added latency (each round's gateway minus that round's direct).
 * CPU is measured the same way for both builds: process_cpu_seconds_total from the gateway's own
 * /metrics, before and after the measured requests. The current build is the working tree, uncommitted
 * changes included. Example: BENCH_BASELINE=HEAD~1 BENCH_REQUESTS=1000 npm run bench
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineAccepts, baselineOwnConfig, killOnSignal, onSignal, prepareBaseline, type Baseline } from './baseline.js';
import { runLoad } from './load.js';
import { buildDist, root, spawnSwitchyard, type Child } from './processes.js';
import { measureRoutingDecisions } from './routing-decision.js';
import { measureCanary } from './canary.js';
import { measureTranslation } from './translation.js';
import { measureDoorTranslation, runDoorBench } from './doors.js';
import { measureLimits } from './limits.js';
import { measurePoolRouting } from './pool-row.js';
import { measureReferences } from './references.js';
import {
  baselineRef,
  bodyFor,
  concurrency,
  gatewayConfig,
  kinds,
  measureGateway,
  median,
  medianRow,
  model,
  requests,
  round2,
  row,
  rounds,
  signed,
  summarise,
  warmup,
  type GatewayRow,
  type Kind,
  type Row,
} from './measure.js';

/** The front doors' rows (bench/doors.ts): their translation in process, and each door's CPU per request end to end. */
async function reportDoors(simOrigin: string) {
  const translation = measureDoorTranslation();
  console.log('Front doors, translation in process (a ~1 KB request, a 16-token answer; medians, µs):');
  console.table(translation);
  const endToEnd = await runDoorBench(simOrigin, model, requests, concurrency, rounds);
  console.log(`Front doors end to end (the current build; gateway CPU per request, ${rounds} alternating rounds, medians):`);
  console.table(endToEnd);
  return { translation, endToEnd };
}

const gatewayNote =
  'The gateway runs its compiled build (dist/, as in the Docker image) with request logs on (info level, to a pipe). CPU per request is the gateway process only (process_cpu_seconds_total), including the simulator traffic it proxies; the load generator and the simulator share the same 2 cores.';

async function main() {
  const sim = await spawnSwitchyard(
    ['sim', '--kind', 'openai', '--port', '0', '--model', model, '--ttft-ms', '0', '--tpot-ms', '0', '--output-tokens', '16'],
    /(http:\/\/127\.0\.0\.1:\d+)\/v1/,
  );
  const simOrigin = sim.match[1]!;
  const configPath = join(tmpdir(), `switchyard-bench-${process.pid}.yaml`);
  writeFileSync(configPath, gatewayConfig(simOrigin));
  buildDist();
  const gw = await spawnSwitchyard(
    ['start', '--config', configPath, '--port', '0'],
    /listening on (http:\/\/\S+)/,
    { LOG_LEVEL: 'info' },
    true,
  );
  const gwOrigin = gw.match[1]!;
  try {
    const results: Record<string, GatewayRow> = {};
    for (const stream of [false, true]) {
      const kind = stream ? 'stream' : 'non-stream';
      await runLoad(simOrigin, '/v1/chat/completions', bodyFor(model, stream), warmup, concurrency);
      await runLoad(gwOrigin, '/v1/chat/completions', bodyFor('bench', stream), warmup, concurrency);

      results[`direct ${kind}`] = row(
        `direct ${kind}`,
        await runLoad(simOrigin, '/v1/chat/completions', bodyFor(model, stream), requests, concurrency),
      );
      results[`gateway ${kind}`] = await measureGateway(`gateway ${kind}`, gwOrigin, stream);
    }
    const references = await measureReferences(simOrigin);
    const limits = await measureLimits(simOrigin, gwOrigin);
    const poolRouting = await measurePoolRouting();
    const summary = summarise(results);
    console.log(
      `\nSwitchyard benchmark: ${requests} requests per run, concurrency ${concurrency}, ~${bodyFor('bench', false).length} B request, 16 output tokens`,
    );
    console.table(Object.values(results));
    console.table(summary);
    const routing = await measureRoutingDecisions();
    console.log('Routing decision (planCandidates, 20-deployment route, µs per decision):');
    console.table(routing);
    const canary = await measureCanary();
    console.log('Canary (a route with a 5 % canary, sticky on user, guard on; medians):');
    console.table([canary]);
    const translation = measureTranslation();
    console.log('Translation per provider type (its golden fixtures chat-basic and chat-streaming; medians, µs):');
    console.table(translation);
    const doors = await reportDoors(simOrigin);
    console.log('Reference proxies (non-stream, same load), the baselines of the CPU budget in DESIGN.md:');
    console.table(references);
    if (limits) {
      console.log(
        `Limits (a key with rpm and tpm, every request admitted): against the same gateway without keys or limits, ${rounds} alternating rounds, medians:`,
      );
      console.table(limits);
    } else {
      console.log('Limits row skipped: no Redis answers at 127.0.0.1:6379 (start redis-server to measure it).');
    }
    console.log(
      `GPU-pool routing (a vLLM provider as a pool: scraped, prompt hashed and scored, plan checked for spill) against the same provider without pool:, ${rounds} alternating rounds, medians:`,
    );
    console.table(poolRouting);
    console.log(gatewayNote);
    console.log(
      'Before/after in one run: BENCH_BASELINE=<git ref> (e.g. HEAD~1) also builds and measures the gateway from that ref, interleaved with this one, and prints the difference.',
    );
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(root, 'bench', 'results', 'latest.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          node: process.version,
          requests,
          concurrency,
          results,
          summary,
          references,
          routing,
          canary,
          limits,
          poolRouting,
          doors,
        },
        null,
        2,
      ),
    );
  } finally {
    await gw.stop();
    await sim.stop();
  }
}

interface Round {
  kind: Kind;
  round: number;
  direct: Row;
  baseline: GatewayRow & { cpuUsPerRequest: number };
  current: GatewayRow & { cpuUsPerRequest: number };
}

/** BENCH_BASELINE: the baseline build and the current one, measured in alternating rounds. */
async function mainWithBaseline(ref: string) {
  const baseline: Baseline = await prepareBaseline(ref);
  const started: Child[] = [];
  const start = async (child: Promise<Child & { match: RegExpExecArray }>) => {
    const c = await child;
    started.push(c);
    killOnSignal(c.proc);
    return c;
  };
  const configPath = join(tmpdir(), `switchyard-bench-${process.pid}.yaml`);
  const baselineConfigPath = join(tmpdir(), `switchyard-bench-${process.pid}-baseline.yaml`);
  const removeConfigs = () => {
    rmSync(configPath, { force: true });
    rmSync(baselineConfigPath, { force: true });
  };
  onSignal(removeConfigs);
  try {
    const sim = await start(
      spawnSwitchyard(
        ['sim', '--kind', 'openai', '--port', '0', '--model', model, '--ttft-ms', '0', '--tpot-ms', '0', '--output-tokens', '16'],
        /(http:\/\/127\.0\.0\.1:\d+)\/v1/,
      ),
    );
    const simOrigin = sim.match[1]!;
    writeFileSync(configPath, gatewayConfig(simOrigin));
    buildDist();
    const gw = await start(
      spawnSwitchyard(['start', '--config', configPath, '--port', '0'], /listening on (http:\/\/\S+)/, { LOG_LEVEL: 'info' }, true),
    );
    const gwOrigin = gw.match[1]!;

    // The same config as the current build, unless the baseline's schema rejects it.
    let baselineConfig = configPath;
    let configNote = 'the same config file as the current build';
    const verdict = baselineAccepts(baseline, configPath);
    if (!verdict.ok) {
      const own = baselineOwnConfig(baseline, { simOrigin, model });
      if (!own)
        throw new Error(
          `BENCH_BASELINE: ${baseline.describe} rejects the bench config, and its bench/run.ts has no config to use instead:\n${verdict.output}`,
        );
      writeFileSync(baselineConfigPath, own);
      baselineConfig = baselineConfigPath;
      configNote = `its own bench/run.ts config (its schema rejects the current one: ${verdict.output.split('\n')[0]})`;
    }
    const base = await start(
      spawnSwitchyard(
        ['start', '--config', baselineConfig, '--port', '0'],
        /listening on (http:\/\/\S+)/,
        { LOG_LEVEL: 'info' },
        true,
        baseline.dir,
      ),
    );
    const baseOrigin = base.match[1]!;

    const all: Round[] = [];
    for (const stream of [false, true]) {
      const kind: Kind = stream ? 'stream' : 'non-stream';
      await runLoad(simOrigin, '/v1/chat/completions', bodyFor(model, stream), warmup, concurrency);
      await runLoad(baseOrigin, '/v1/chat/completions', bodyFor('bench', stream), warmup, concurrency);
      await runLoad(gwOrigin, '/v1/chat/completions', bodyFor('bench', stream), warmup, concurrency);
      for (let i = 1; i <= rounds; i++) {
        const direct = row(
          `direct ${kind}`,
          await runLoad(simOrigin, '/v1/chat/completions', bodyFor(model, stream), requests, concurrency),
        );
        const b = await measureGateway(`baseline ${kind}`, baseOrigin, stream);
        const c = await measureGateway(`current ${kind}`, gwOrigin, stream);
        all.push({ kind, round: i, direct, baseline: b, current: c });
      }
    }
    const references = await measureReferences(simOrigin);

    const roundsOf = (kind: Kind) => all.filter((r) => r.kind === kind);
    const perRound = all.flatMap((r) =>
      (['baseline', 'current'] as const).map((build) => ({
        path: r.kind,
        round: r.round,
        build,
        rps: r[build].rps,
        p50: r[build].p50,
        p99: r[build].p99,
        addedP50Ms: round2(r[build].p50 - r.direct.p50),
        addedP99Ms: round2(r[build].p99 - r.direct.p99),
        cpuUsPerRequest: r[build].cpuUsPerRequest,
        cpuRatio: build === 'current' ? round2(r.current.cpuUsPerRequest / r.baseline.cpuUsPerRequest) : '',
        errors: r[build].errors,
      })),
    );
    const results: Record<string, GatewayRow> = {};
    const baselineResults: Record<string, GatewayRow> = {};
    for (const kind of kinds) {
      const rs = roundsOf(kind);
      results[`direct ${kind}`] = medianRow(
        `direct ${kind}`,
        rs.map((r) => r.direct),
      );
      baselineResults[`baseline ${kind}`] = medianRow(
        `baseline ${kind}`,
        rs.map((r) => r.baseline),
      );
      results[`gateway ${kind}`] = medianRow(
        `gateway ${kind}`,
        rs.map((r) => r.current),
      );
    }
    const diff = kinds.flatMap((kind) => {
      const rs = roundsOf(kind);
      const metrics = [
        { metric: 'CPU µs/request', of: (g: Round['current']) => g.cpuUsPerRequest, addedTo: (_: Round) => 0, digits: 0, ratio: true },
        { metric: 'added p50 ms', of: (g: Round['current']) => g.p50, addedTo: (r: Round) => r.direct.p50, digits: 2, ratio: false },
        { metric: 'added p99 ms', of: (g: Round['current']) => g.p99, addedTo: (r: Round) => r.direct.p99, digits: 2, ratio: false },
      ];
      return metrics.map(({ metric, of, addedTo, digits, ratio }) => {
        const b = rs.map((r) => of(r.baseline) - addedTo(r));
        const c = rs.map((r) => of(r.current) - addedTo(r));
        const mb = median(b);
        const mc = median(c);
        return {
          path: kind,
          metric,
          baseline: +mb.toFixed(digits),
          current: +mc.toFixed(digits),
          'current − baseline': signed(mc - mb, digits),
          ratio: ratio ? round2(mc / mb) : '',
          'per round (current − baseline)': rs.map((_, i) => signed(c[i]! - b[i]!, digits)).join(', '),
        };
      });
    });

    console.log(
      `\nSwitchyard benchmark: ${requests} requests per run, concurrency ${concurrency}, ~${bodyFor('bench', false).length} B request, 16 output tokens`,
    );
    console.log(
      `Baseline: ${baseline.ref} = ${baseline.describe} (built in a worktree, node_modules by ${baseline.dependencies}, run with ${configNote}).`,
    );
    console.log(`Current: ${currentCheckout()}.`);
    console.log(
      `${rounds} rounds per path, each: direct, then baseline, then current, ${requests} requests each; after ${warmup} warm-up requests to each.`,
    );
    console.log("Every round (added = that gateway minus that round's direct run; cpuRatio = current / baseline):");
    console.table(perRound);
    console.log(`Median over the ${rounds} rounds (errors: their total):`);
    console.table([
      ...kinds.flatMap((k) => [
        results[`direct ${k}`]!,
        baselineResults[`baseline ${k}`]!,
        { ...results[`gateway ${k}`]!, name: `current ${k}` },
      ]),
    ]);
    console.log(`Current against baseline (${baseline.ref}), medians over the rounds; ratio = current / baseline:`);
    console.table(diff);
    const routing = await measureRoutingDecisions();
    console.log('Routing decision (planCandidates, 20-deployment route, µs per decision, current build):');
    console.table(routing);
    const canary = await measureCanary();
    console.log('Canary (a route with a 5 % canary, sticky on user, guard on; medians, current build):');
    console.table([canary]);
    const translation = measureTranslation();
    console.log('Translation per provider type (its golden fixtures chat-basic and chat-streaming; medians, µs, current source):');
    console.table(translation);
    const doors = await reportDoors(simOrigin);
    console.log('Reference proxies (non-stream, same load), the baselines of the CPU budget in DESIGN.md:');
    console.table(references);
    console.log(
      `${gatewayNote} Both builds run side by side with the same environment and simulator; each is idle while the other is measured.`,
    );
    const summary = summarise(results);
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(root, 'bench', 'results', 'latest.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          node: process.version,
          requests,
          concurrency,
          results,
          summary,
          references,
          routing,
          doors,
          baseline: { ref: baseline.ref, commit: baseline.commit, rounds, results: baselineResults, diff, perRound },
        },
        null,
        2,
      ),
    );
  } finally {
    for (const c of started.reverse()) await c.stop();
    removeConfigs();
    baseline.remove();
  }
}

/** `abc1234 subject` of HEAD, and whether tracked files differ from it. */
function currentCheckout(): string {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    const head = git(['log', '-1', '--format=%h %s']);
    return `the working tree of ${head.length > 80 ? `${head.slice(0, 79)}…` : head}${dirty ? ', uncommitted changes included' : ''}`;
  } catch {
    return 'this checkout';
  }
}

if (baselineRef) await mainWithBaseline(baselineRef);
else await main();
