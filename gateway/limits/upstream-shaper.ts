/**
 * In-process shaping of one deployment's upstream traffic (`deployments.<id>.shaping`) with bottleneck
 * in its maintained local mode: at most `max_concurrent` attempts at once, `min_interval_ms` between
 * starts, and a bounded queue with a bounded wait. It is a limit, not a hiding place: a try that finds
 * the queue full, or waits `max_wait_ms` without a slot, gives up at once and the runner moves on to the
 * next candidate (the failure log says the gateway's own shaping refused it, never the upstream).
 * Per replica by design (spacing and concurrency towards one server); shared quotas are `limits`.
 * Bottleneck's Redis mode is not used: it breaks on Redis 7 once its keys expire.
 */
import Bottleneck from 'bottleneck';

export interface ShapingSettings {
  readonly maxConcurrent: number | undefined;
  readonly minIntervalMs: number;
  readonly maxQueue: number;
  readonly maxWaitMs: number;
}

export class UpstreamShaper {
  private readonly limiter: Bottleneck;

  constructor(readonly settings: ShapingSettings) {
    this.limiter = new Bottleneck({
      maxConcurrent: settings.maxConcurrent ?? null,
      minTime: settings.minIntervalMs,
      highWater: settings.maxQueue,
      // A full queue drops the newest job: its try moves on at once instead of waiting.
      strategy: Bottleneck.strategy.OVERFLOW,
    });
  }

  /**
   * A slot for one try: resolves with its release (call it when the try ends), or with undefined when
   * the queue is full or no slot came within max_wait_ms.
   */
  acquire(): Promise<(() => void) | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        resolve(undefined);
      }, this.settings.maxWaitMs);
      timer.unref();
      this.limiter
        .schedule(
          () =>
            new Promise<void>((release) => {
              // A try that already gave up gives its slot straight back.
              if (settled) return release();
              settled = true;
              clearTimeout(timer);
              resolve(release);
            }),
        )
        .catch(() => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(undefined);
        });
    });
  }

  /** Tries waiting for a slot now (GET /admin/state). */
  get queued(): number {
    return this.limiter.queued();
  }
}
