/**
 * Live statistics per deployment, fed by the executor after every attempt and read by strategies
 * as a snapshot. Latency is a peak-EWMA (it jumps up at once on a slow sample and decays back with
 * time), so a deployment that turns slow is avoided immediately rather than after many samples.
 */

export interface StatsSnapshot {
  readonly inFlight: number;
  /** Peak-EWMA of total attempt latency, non-stream requests (ms); undefined until sampled. */
  readonly latencyMs: number | undefined;
  /** Peak-EWMA of time to first token, streams (ms); undefined until sampled. */
  readonly ttftMs: number | undefined;
  /** Peak-EWMA of a whole non-stream answer's time per unit of work (ms; execute/adaptive-limit.ts). */
  readonly answerMsPerWork: number | undefined;
  /** Peak-EWMA of time to first token per unit of prompt work (ms). */
  readonly firstTokenMsPerWork: number | undefined;
  /** Peak-EWMA of the output tokens of a non-stream answer. */
  readonly outputTokens: number | undefined;
  /** Share of failed attempts (deployment-fault kinds only) in the recent window, 0..1. */
  readonly errorRate: number;
  /** Attempts in the recent window. */
  readonly recentAttempts: number;
  readonly lastFailureAt: number | undefined;
  readonly lastErrorKind: string | undefined;
}

const decayMs = 10_000;
const defaultWindowMs = 30_000;
const buckets = 6;

class PeakEwma {
  value: number | undefined;
  private at = 0;

  observe(sample: number, now: number): void {
    if (this.value === undefined || sample > this.value) {
      this.value = sample;
    } else {
      const w = Math.exp(-(now - this.at) / decayMs);
      this.value = this.value * w + sample * (1 - w);
    }
    this.at = now;
  }
}

/** Attempts and failures over a sliding window of fixed buckets (no per-attempt allocation). */
export class WindowCounter {
  private readonly attempts = new Array<number>(buckets).fill(0);
  private readonly failures = new Array<number>(buckets).fill(0);
  private bucketStart = 0;
  private index = 0;

  constructor(private readonly windowMs = defaultWindowMs) {}

  reset(): void {
    this.attempts.fill(0);
    this.failures.fill(0);
  }

  private advance(now: number): void {
    const width = this.windowMs / buckets;
    if (now - this.bucketStart < width) return;
    const steps = Math.min(buckets, Math.floor((now - this.bucketStart) / width));
    for (let i = 0; i < steps; i += 1) {
      this.index = (this.index + 1) % buckets;
      this.attempts[this.index] = 0;
      this.failures[this.index] = 0;
    }
    this.bucketStart = now - ((now - this.bucketStart) % width);
  }

  add(failed: boolean, now: number): void {
    this.advance(now);
    this.attempts[this.index]! += 1;
    if (failed) this.failures[this.index]! += 1;
  }

  totals(now: number): { attempts: number; failures: number } {
    this.advance(now);
    let attempts = 0;
    let failures = 0;
    for (let i = 0; i < buckets; i += 1) {
      attempts += this.attempts[i]!;
      failures += this.failures[i]!;
    }
    return { attempts, failures };
  }
}

export class DeploymentStats {
  inFlight = 0;
  private readonly latency = new PeakEwma();
  private readonly ttft = new PeakEwma();
  private readonly answerSpeed = new PeakEwma();
  private readonly firstTokenSpeed = new PeakEwma();
  private readonly output = new PeakEwma();
  private readonly window = new WindowCounter();
  private lastFailureAt: number | undefined;
  private lastErrorKind: string | undefined;

  succeeded(now: number, latencyMs: number | undefined, ttftMs: number | undefined): void {
    if (latencyMs !== undefined) this.latency.observe(latencyMs, now);
    if (ttftMs !== undefined) this.ttft.observe(ttftMs, now);
    this.window.add(false, now);
  }

  /**
   * How fast a successful try was for its size: `work` is the prompt's work, plus the output tokens
   * for a whole answer (execute/adaptive-limit.ts). A first token times the prompt alone.
   */
  observeSpeed(now: number, ms: number, work: number, firstToken: boolean, outputTokens: number | undefined): void {
    if (firstToken) {
      this.firstTokenSpeed.observe(ms / work, now);
      return;
    }
    this.answerSpeed.observe(ms / work, now);
    if (outputTokens !== undefined) this.output.observe(outputTokens, now);
  }

  failed(now: number, kind: string, latencyMs: number | undefined): void {
    // A failure's latency counts too: a deployment that times out must look slow, not unsampled.
    if (latencyMs !== undefined) this.latency.observe(latencyMs, now);
    this.window.add(true, now);
    this.lastFailureAt = now;
    this.lastErrorKind = kind;
  }

  snapshot(now: number): StatsSnapshot {
    const { attempts, failures } = this.window.totals(now);
    return {
      inFlight: this.inFlight,
      latencyMs: this.latency.value,
      ttftMs: this.ttft.value,
      answerMsPerWork: this.answerSpeed.value,
      firstTokenMsPerWork: this.firstTokenSpeed.value,
      outputTokens: this.output.value,
      errorRate: attempts === 0 ? 0 : failures / attempts,
      recentAttempts: attempts,
      lastFailureAt: this.lastFailureAt,
      lastErrorKind: this.lastErrorKind,
    };
  }
}
