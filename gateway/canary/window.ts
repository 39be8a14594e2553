/**
 * What the canary guard (guard.ts) compares: per variant, the requests, failures, latencies and costs of
 * the last `windowMs`, kept as a ring of `slices` time slices so old traffic ages out without storing
 * requests. `observe` runs once per finished request, so it is O(1) and allocates nothing: every slice's
 * arrays are allocated once, and a slice is cleared lazily when its turn in the ring comes round again
 * (each slice remembers which period it holds; `summary` skips slices from older periods, so a long
 * idle gap empties the window without any clearing work). The window covers the current slice and the
 * `slices − 1` before it: between windowMs·(1 − 1/slices) and windowMs of traffic.
 *
 * Latencies go into a fixed log-spaced histogram: bin 0 holds [0, 1) ms, bin i holds [g^(i−1), g^i) ms
 * with g = 1.08, up to g^188 ≈ 32 min; the last bin holds everything above. A quantile therefore lies in
 * the same bin as the true sample quantile: relative error at most 8% (the bin width), and within a bin
 * it is interpolated log-linearly, which for smooth distributions is far closer than that.
 */
/** Which side of a rollout (routing/canary.ts assigns it). */
type Variant = 'stable' | 'canary';

export interface CanaryObservation {
  /** The variant's own targets did not answer (failed, or another deployment had to). */
  failed: boolean;
  /** Time to first token in ms (streams); undefined when not a stream or not answered. */
  ttftMs: number | undefined;
  /** Whole-request latency in ms for an answered request; undefined when failed. */
  latencyMs: number | undefined;
  /** Cost in USD of the answer; undefined when unknown. */
  costUsd: number | undefined;
}

export interface CostSums {
  n: number;
  sum: number;
  sumSq: number;
}

export interface WindowSummary {
  requests: number;
  failures: number;
  ttft: LatencyHistogram;
  latency: LatencyHistogram;
  cost: CostSums;
}

const growth = 1.08;
const perLnGrowth = 1 / Math.log(growth);
/** Log-spaced bins between 1 ms and the top, g^188 ≈ 1.9e6 ms ≈ 32 min. */
const logBins = 188;
const top = growth ** logBins;
const binCount = logBins + 2;
/** Lower edge of each bin in ms: 0, then g^0, g^1, ..., g^188 (the last bin's). */
const edges = Float64Array.from({ length: binCount }, (_, i) => (i === 0 ? 0 : growth ** (i - 1)));

// observe() runs per request and Math.log would cost more than all the rest of it, so the bin comes
// from a table instead, keyed by the octave of ms·1024 (an int32 below the top: 1.97e9) and its next 10 bits:
// a key spans under 0.1%, a bin 8%, so at most one step up is left, to the bin whose edge ms has passed.
const msScale = 1024;
const subBits = 10;
const keyTable = keyTableOf();

function keyOf(x: number): number {
  const octave = 31 - Math.clz32(x);
  return ((octave - subBits) << subBits) | ((x >>> (octave - subBits)) & ((1 << subBits) - 1));
}

/** For each key, the bin of the smallest ms with that key. */
function keyTableOf(): Uint8Array {
  const table = new Uint8Array((31 - subBits) << subBits);
  let bin = 1;
  for (let key = 0; key < table.length; key += 1) {
    const octave = (key >>> subBits) + subBits;
    const lowest = (((1 << subBits) + (key & ((1 << subBits) - 1))) * 2 ** (octave - subBits)) / msScale;
    while (bin < logBins && edges[bin + 1]! <= lowest) bin += 1;
    table[key] = bin;
  }
  return table;
}

function binOf(ms: number): number {
  if (!(ms >= 1)) return 0; // NaN and negatives too: they are clock noise, not slowness
  if (ms >= top) return logBins + 1;
  const bin = keyTable[keyOf(Math.floor(ms * msScale))]!;
  return ms >= edges[bin + 1]! ? bin + 1 : bin;
}

/** Latency counts in log-spaced bins (see the header for the layout and the error bound). */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(binCount);
  private total = 0;

  get count(): number {
    return this.total;
  }

  add(ms: number): void {
    this.counts[binOf(ms)]! += 1;
    this.total += 1;
  }

  addAll(other: LatencyHistogram): void {
    for (let i = 0; i < binCount; i += 1) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The q-quantile (0..1) in ms; 0 when empty; values above the top bin read as the top (~32 min). */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = q * this.total;
    let below = 0;
    for (let i = 0; i < binCount; i += 1) {
      const c = this.counts[i]!;
      if (c > 0 && below + c >= rank) {
        const within = Math.max(0, rank - below) / c;
        if (i === 0) return within;
        if (i > logBins) return top;
        return growth ** (i - 1 + within);
      }
      below += c;
    }
    return top;
  }

  /** Samples above `ms`; the bin holding `ms` counts in proportion (log-linearly, as `quantile` reads it). */
  countAbove(ms: number): number {
    if (ms >= top) return 0;
    const bin = binOf(ms);
    // Share of the bin's width above `ms`: [0, 1) is linear, the log bins are log-linear.
    const share = bin === 0 ? 1 - Math.max(0, ms) : bin - Math.log(ms) * perLnGrowth;
    let above = this.counts[bin]! * share;
    for (let i = bin + 1; i < binCount; i += 1) above += this.counts[i]!;
    return above;
  }
}

/** One time slice of a variant's window. */
class Slice {
  /** Which period (floor(now / sliceMs)) this slice holds; -Infinity: none yet. */
  period = -Infinity;
  requests = 0;
  failures = 0;
  readonly ttft = new LatencyHistogram();
  readonly latency = new LatencyHistogram();
  readonly cost: CostSums = { n: 0, sum: 0, sumSq: 0 };

  clear(period: number): void {
    this.period = period;
    this.requests = 0;
    this.failures = 0;
    this.ttft.clear();
    this.latency.clear();
    this.cost.n = 0;
    this.cost.sum = 0;
    this.cost.sumSq = 0;
  }
}

/** One variant's sliding window. */
export class VariantWindow {
  private readonly ring: Slice[];
  private readonly sliceMs: number;
  /** The latest period observed; a clock that steps back records into it rather than into the past. */
  private latest = -Infinity;
  /** The latest period's slice and where it ends: nearly every call lands there, with one comparison. */
  private current: Slice;
  private currentEnd = -Infinity;

  constructor(windowMs: number, slices = 10) {
    this.sliceMs = windowMs / slices;
    this.ring = Array.from({ length: slices }, () => new Slice());
    this.current = this.ring[0]!;
  }

  /** `now` in ms from a monotonic clock (performance.now() or Date.now()). */
  observe(now: number, o: CanaryObservation): void {
    const slice = now < this.currentEnd ? this.current : this.advance(now);
    slice.requests += 1;
    if (o.failed) slice.failures += 1;
    if (o.ttftMs !== undefined) slice.ttft.add(o.ttftMs);
    if (o.latencyMs !== undefined) slice.latency.add(o.latencyMs);
    if (o.costUsd !== undefined && Number.isFinite(o.costUsd)) {
      slice.cost.n += 1;
      slice.cost.sum += o.costUsd;
      slice.cost.sumSq += o.costUsd * o.costUsd;
    }
  }

  /** The live slices (the current period and the `slices − 1` before it) merged. */
  summary(now: number): WindowSummary {
    const oldest = this.periodAt(now) - this.ring.length + 1;
    const merged: WindowSummary = {
      requests: 0,
      failures: 0,
      ttft: new LatencyHistogram(),
      latency: new LatencyHistogram(),
      cost: { n: 0, sum: 0, sumSq: 0 },
    };
    for (const slice of this.ring) {
      if (slice.period < oldest) continue;
      merged.requests += slice.requests;
      merged.failures += slice.failures;
      merged.ttft.addAll(slice.ttft);
      merged.latency.addAll(slice.latency);
      merged.cost.n += slice.cost.n;
      merged.cost.sum += slice.cost.sum;
      merged.cost.sumSq += slice.cost.sumSq;
    }
    return merged;
  }

  reset(): void {
    for (const slice of this.ring) slice.clear(-Infinity);
    this.latest = -Infinity;
    this.currentEnd = -Infinity;
  }

  /** Moves to the slice of `now`'s period, clearing it if it still holds an older one. */
  private advance(now: number): Slice {
    const period = this.periodAt(now);
    const n = this.ring.length;
    const slice = this.ring[((period % n) + n) % n]!;
    if (slice.period !== period) slice.clear(period);
    this.latest = period;
    this.current = slice;
    this.currentEnd = (period + 1) * this.sliceMs;
    return slice;
  }

  private periodAt(now: number): number {
    return Math.max(Math.floor(now / this.sliceMs), this.latest);
  }
}

/** A route's two windows, stable and canary, over the same span. */
export class CanaryWindows {
  readonly stable: VariantWindow;
  readonly canary: VariantWindow;

  constructor(windowMs: number, slices?: number) {
    this.stable = new VariantWindow(windowMs, slices);
    this.canary = new VariantWindow(windowMs, slices);
  }

  of(variant: Variant): VariantWindow {
    return variant === 'stable' ? this.stable : this.canary;
  }

  reset(): void {
    this.stable.reset();
    this.canary.reset();
  }
}
