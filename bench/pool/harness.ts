/**
 * One run of `npm run bench:pool`: N engines (sim/engine) on one virtual clock, one router, one
 * workload. Every router sees the same seeded requests at the same virtual times.
 *
 * Routers:
 * - `round-robin`, `random`: blind rotation / uniform draw over every endpoint ever in the pool.
 * - `least-request`: the fewest requests this gateway has in flight there (its own count), ties drawn.
 * - `switchyard`: the real gpu-pool/router.ts `PoolRouter` over `PoolMember`s. Each member's `load` is
 *   refreshed every scrape interval (staggered across members) by rendering the engine's /metrics
 *   page (`metricsText`) and reading it with the real `readServerLoad('vllm', …)`, then `scraped()`:
 *   the scrape path is the gateway's and the view is as stale as a real one. `inFlight` is exact.
 *
 * Faults: a slow endpoint has every step-time coefficient scaled. A killed endpoint aborts what it has
 * in flight (each a failure, no retry) and refuses whatever is sent to it later (a failure at once).
 * switchyard learns of it at the member's next scrape, which fails: the member goes `ready = false`
 * and the router forgets it. The baselines have no health signal here: round-robin and random keep
 * sending it their share, least-request keeps picking it whenever it has the fewest in flight (which,
 * as everything sent there fails at once, is often) — each such request fails. That is what a blind
 * balancer without health checks does; the table says so.
 *
 * Spill: when switchyard's decision is `saturated`, the request is counted as spilled and either
 * served by the cloud (`spill: 'cloud'`, the default: not simulated, kept out of the GPU latency and
 * throughput figures, reported as a count) or queued anyway on the ready member with the fewest in
 * flight (`spill: 'queue'`). The baselines never spill.
 */
import { Engine } from '../../sim/engine/engine.js';
import { VirtualClock } from '../../sim/engine/clock.js';
import { engineProfiles, isEngineProfileName } from '../../sim/engine/profiles.js';
import { blockHashes } from '../../sim/engine/tokens.js';
import type { EngineHandle, EngineProfile } from '../../sim/engine/types.js';
import { createRandom, hashString, type Random } from '../../sim/random.js';
import { PoolRouter, defaultPoolRouting } from '../../gpu-pool/router.js';
import { readServerLoad } from '../../gpu-pool/server-metrics.js';
import type { PoolMember, PoolRouting } from '../../gpu-pool/types.js';
import type { Session, Turn, Workload } from './workload.js';

export const routerNames = ['round-robin', 'random', 'least-request', 'switchyard'] as const;
export type RouterName = (typeof routerNames)[number];

export type SpillMode = 'cloud' | 'queue';

export interface RunOptions {
  readonly router: RouterName;
  /** switchyard only: what a saturated decision does (default 'cloud'). */
  readonly spill?: SpillMode;
  /** switchyard only: settings over defaultPoolRouting. */
  readonly routing?: Partial<PoolRouting>;
  /** A label for the tables (default: the router's name). */
  readonly label?: string;
}

export interface Percentiles {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

export interface RunResult {
  readonly label: string;
  readonly router: RouterName;
  readonly preset: string;
  readonly rate: number;
  readonly endpoints: number;
  readonly requests: number;
  readonly completed: number;
  readonly failed: number;
  readonly spilled: number;
  /** Completed on the GPUs / (requests − those served by the cloud). */
  readonly successRate: number;
  /** Output tokens of requests completed on the GPUs / the makespan (first arrival to last answer). */
  readonly outputTokensPerS: number;
  /**
   * Output tokens produced per second in the steady window: the last 75 % of the arrival window,
   * shifted later by the mean delay from a request's arrival to each of its tokens (so the ramp-up of the first requests is left out).
   */
  readonly steadyTokensPerS: number;
  /** Output tokens of the requests that arrived in the last 75 % of the arrival window / its length (spilled ones excluded). */
  readonly offeredTokensPerS: number;
  /** Arrival to last token, ms (GPU-served requests). */
  readonly e2eMs: Percentiles;
  readonly makespanS: number;
  /** Time to first token, ms (GPU-served requests). */
  readonly ttftMs: Percentiles;
  /** Inter-token latency, ms. */
  readonly itlMs: Percentiles;
  /** Σ prefix-cache hits / Σ queries over the engines (tokens). */
  readonly prefixHitRate: number;
  /** Requests per endpoint: max / mean. */
  readonly imbalance: number;
  /** Requests per endpoint: coefficient of variation. */
  readonly requestsCv: number;
  readonly requestsPerEndpoint: readonly number[];
  /** Wall-clock time of the routing call, µs. */
  readonly decisionUs: Percentiles;
  readonly preemptions: number;
  /** Wall-clock time the run took, ms. */
  readonly wallMs: number;
}

/** Growable Float64 samples (ITL runs to millions). */
class Samples {
  private data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  percentiles(): Percentiles {
    const n = this.length;
    if (n === 0) return { mean: NaN, p50: NaN, p90: NaN, p99: NaN };
    const s = this.data.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += s[i]!;
    const at = (q: number) => s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
    return { mean: sum / n, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
  }
}

/** The profile, every step-time coefficient × factor (a slower GPU, a noisy neighbour). */
function slowed(profile: EngineProfile, factor: number): EngineProfile {
  return {
    ...profile,
    name: `${profile.name}-slow${factor}`,
    beta0Us: profile.beta0Us * factor,
    beta1Us: profile.beta1Us * factor,
    beta2Us: profile.beta2Us * factor,
  };
}

export function profileOf(name: string): EngineProfile {
  if (!isEngineProfileName(name)) throw new Error(`unknown engine profile ${name}`);
  return engineProfiles[name];
}

// Block hashes per turn and block size: the same workload is run once per router.
const hashCache = new WeakMap<Turn, { size: number; hashes: number[] }>();
function hashesOf(turn: Turn, blockSize: number): number[] {
  const cached = hashCache.get(turn);
  if (cached !== undefined && cached.size === blockSize) return cached.hashes;
  const hashes = blockHashes(turn.prompt, blockSize);
  hashCache.set(turn, { size: blockSize, hashes });
  return hashes;
}

interface Live {
  handle: EngineHandle | undefined;
  /** The endpoint died under it: abort and count the failure. */
  readonly kill: () => void;
}

export function runPool(work: Workload, options: RunOptions): RunResult {
  const wallStart = performance.now();
  const params = work.params;
  const n = params.endpoints;
  const spillMode = options.spill ?? 'cloud';
  const clock = new VirtualClock();
  const base = profileOf(params.profile);
  const slow = params.faults?.slow;
  const kill = params.faults?.kill;
  const engines = Array.from(
    { length: n },
    (_, i) => new Engine(slow !== undefined && slow.endpoint === i ? slowed(base, slow.factor) : base, clock),
  );
  const model = base.name;
  const members: PoolMember[] = engines.map((_, i) => ({
    id: `http://gpu-${i}.pool.local:8000`,
    ready: true,
    load: undefined,
    scrapedAt: -Infinity,
    inFlight: 0,
  }));
  const dead = new Array<boolean>(n).fill(false);
  const live = Array.from({ length: n }, () => new Set<Live>());
  const random: Random = createRandom(hashString(`router:${options.router}`, params.seed));
  const routing: PoolRouting = { ...defaultPoolRouting, ...options.routing };
  const router = options.router === 'switchyard' ? new PoolRouter(routing, () => clock.now()) : undefined;

  // The switchyard's view: a scrape per member every interval, staggered so they do not all land at once.
  const scrape = (i: number) => {
    const member = members[i]!;
    if (dead[i]) {
      // Connection refused: the scraper marks it not ready; the pool drops it from the router.
      if (member.ready) {
        member.ready = false;
        router?.forget(member.id);
      }
      return;
    }
    member.load = readServerLoad('vllm', engines[i]!.metricsText(model));
    member.scrapedAt = clock.now();
    router?.scraped(member);
  };
  // Requests not yet answered, failed, spilled or skipped: scraping stops when none is left.
  let unresolved = work.requests;
  if (router !== undefined) {
    for (let i = 0; i < n; i++) scrape(i);
    const every = params.scrapeIntervalMs;
    for (let i = 0; i < n; i++) {
      const tick = () => {
        scrape(i);
        if (unresolved > 0) clock.schedule(every, tick);
      };
      clock.schedule(((i + 1) * every) / n, tick);
    }
  }

  let rr = 0;
  const pickBaseline = (): number => {
    switch (options.router) {
      case 'round-robin':
        return rr++ % n;
      case 'random':
        return Math.floor(random() * n);
      default: {
        let best = 0;
        let ties = 0;
        for (let i = 0; i < n; i++) {
          const f = members[i]!.inFlight;
          const b = members[best]!.inFlight;
          if (i === 0 || f < b) {
            best = i;
            ties = 1;
          } else if (f === b && random() * ++ties < 1) best = i;
        }
        return best;
      }
    }
  };
  const leastInFlightReady = (): number => {
    let best = -1;
    for (let i = 0; i < n; i++) {
      const m = members[i]!;
      if (m.ready && (best < 0 || m.inFlight < members[best]!.inFlight)) best = i;
    }
    return best < 0 ? 0 : best;
  };

  const ttft = new Samples();
  const itl = new Samples();
  const decisions = new Samples();
  const perEndpoint = new Array<number>(n).fill(0);
  let completed = 0;
  let failures = 0;
  let spilled = 0;
  let cloudServed = 0;
  let completedTokens = 0;
  let lastEnd = 0;
  const windowStart = 0.25 * work.arrivalWindowMs;
  const windowEnd = work.arrivalWindowMs;
  let offeredTokens = 0;
  // Tokens produced per 100 ms bin, for the steady window (whose shift is known only at the end).
  const BIN_MS = 100;
  let bins = new Float64Array(1024);
  const e2e = new Samples();
  let tokenDelaySum = 0;
  let tokenCount = 0;

  const send = (session: Session, k: number) => {
    const turn = session.turns[k]!;
    const arrival = clock.now();
    const next = () => {
      unresolved -= 1;
      if (k + 1 < session.turns.length) clock.schedule(params.thinkTimeMs, () => send(session, k + 1));
    };
    const failed = (at: number) => {
      // A failed turn ends the conversation: its later turns are never sent.
      failures += 1;
      unresolved -= session.turns.length - k;
      lastEnd = Math.max(lastEnd, at);
    };

    // The engine-side block hashes, before the timed call (this also flattens the concatenated prompt
    // string, as a request body parsed from JSON would be, so the router does not pay for that).
    const hashes = hashesOf(turn, base.blockSize);
    let index: number;
    const t0 = performance.now();
    if (router !== undefined) {
      // As the gateway: a session only when the pool names a session header (none by default).
      const sessionId = routing.sessionHeader !== undefined ? session.user : undefined;
      const decision = router.decide(members, { prompt: turn.prompt, model, session: sessionId }, random);
      decisions.push((performance.now() - t0) * 1000);
      if (decision.kind === 'saturated') {
        spilled += 1;
        if (spillMode === 'cloud') {
          cloudServed += 1;
          next();
          return;
        }
        index = leastInFlightReady();
      } else index = decision.index;
    } else {
      index = pickBaseline();
      decisions.push((performance.now() - t0) * 1000);
    }
    if (arrival >= windowStart && arrival <= windowEnd) offeredTokens += turn.outputTokens;
    perEndpoint[index]! += 1;
    if (dead[index]) {
      failed(arrival);
      return;
    }
    const member = members[index]!;
    const here = live[index]!;
    member.inFlight += 1;
    let last = arrival;
    const entry: Live = {
      handle: undefined,
      kill() {
        entry.handle?.abort();
        member.inFlight -= 1;
        failed(clock.now());
      },
    };
    here.add(entry);
    entry.handle = engines[index]!.submit({
      promptTokens: turn.promptTokens,
      blockHashes: hashes,
      outputTokens: turn.outputTokens,
      onToken(i, now) {
        if (i === 0) ttft.push(now - arrival);
        else itl.push(now - last);
        last = now;
        const bin = Math.floor(now / BIN_MS);
        if (bin >= bins.length) {
          const grown = new Float64Array(Math.max(bin + 1, bins.length * 2));
          grown.set(bins);
          bins = grown;
        }
        bins[bin]! += 1;
        tokenDelaySum += now - arrival;
        tokenCount += 1;
      },
      onFinish(now) {
        here.delete(entry);
        member.inFlight -= 1;
        completed += 1;
        completedTokens += turn.outputTokens;
        e2e.push(now - arrival);
        lastEnd = Math.max(lastEnd, now);
        next();
      },
    });
  };

  for (const session of work.sessions) clock.schedule(session.startMs, () => send(session, 0));
  if (kill !== undefined) {
    clock.schedule(kill.atFraction * work.arrivalWindowMs, () => {
      const i = kill.endpoint;
      dead[i] = true;
      const victims = [...live[i]!];
      live[i]!.clear();
      for (const entry of victims) entry.kill();
    });
  }
  clock.runUntilIdle();

  let hits = 0;
  let queries = 0;
  let preemptions = 0;
  for (const engine of engines) {
    const s = engine.stats();
    hits += s.prefixHits;
    queries += s.prefixQueries;
    preemptions += s.preemptions;
  }
  const mean = perEndpoint.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(perEndpoint.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const windowS = (windowEnd - windowStart) / 1000;
  const e2eMs = e2e.percentiles();
  // A token comes, on average, this long after its request arrived: production lags arrivals by it.
  const shift = tokenCount > 0 ? tokenDelaySum / tokenCount : 0;
  let windowTokens = 0;
  const fromBin = Math.floor((windowStart + shift) / BIN_MS);
  const toBin = Math.floor((windowEnd + shift) / BIN_MS);
  for (let b = fromBin; b < toBin && b < bins.length; b++) windowTokens += bins[b]!;
  const gpuRequests = work.requests - cloudServed;
  return {
    label: options.label ?? options.router,
    router: options.router,
    preset: params.preset,
    rate: params.rate,
    endpoints: n,
    requests: work.requests,
    completed,
    failed: failures,
    spilled,
    successRate: gpuRequests > 0 ? completed / gpuRequests : 1,
    outputTokensPerS: lastEnd > 0 ? completedTokens / (lastEnd / 1000) : 0,
    steadyTokensPerS: windowS > 0 ? windowTokens / windowS : NaN,
    offeredTokensPerS: windowS > 0 ? offeredTokens / windowS : NaN,
    makespanS: lastEnd / 1000,
    ttftMs: ttft.percentiles(),
    e2eMs,
    itlMs: itl.percentiles(),
    prefixHitRate: queries > 0 ? hits / queries : 0,
    imbalance: mean > 0 ? Math.max(...perEndpoint) / mean : 1,
    requestsCv: mean > 0 ? sd / mean : 0,
    requestsPerEndpoint: perEndpoint,
    decisionUs: decisions.percentiles(),
    preemptions,
    wallMs: performance.now() - wallStart,
  };
}

/** The run sustained its offered load: steady throughput ≥ 95 % of offered and TTFT p90 < 10 s. */
export const sustainCriterion =
  'steady output tokens/s ≥ 95 % of offered (arrivals in the last 75 % of the arrival window; tokens produced in that window shifted by the mean arrival-to-token delay) and TTFT p90 < 10 s';
export function sustained(r: RunResult): boolean {
  return r.steadyTokensPerS >= 0.95 * r.offeredTokensPerS && r.ttftMs.p90 < 10_000 && r.successRate >= 0.99;
}
