/**
 * Reads each ready server's own `/metrics` page (at its root, beside `/health`) every `intervalMs`
 * into its PoolMember: `load` and `scrapedAt`, then tells the router (`scraped`), which keeps its
 * estimates between scrapes. One scrape at a time per server: the next starts `intervalMs` after the
 * previous one started, or at once if that one took longer.
 *
 * A failed scrape leaves the old load in place, so the member goes stale by age and the router's
 * `staleMs` decides when it stops counting. A refused connection (the server is gone) or
 * `maxFailures` failures in a row end the loop and report the member lost: it leaves the picks until
 * its readiness passes again (gpu-pool/pool.ts).
 */
import type { Transport } from '../upstream/transport.js';
import { failureOf, getText, serverPaths, type ProbeAuth } from './readiness.js';
import { readServerLoad, type ServerLoad, type ServerType } from './server-metrics.js';
import type { PoolMember } from './types.js';

export interface ScrapeOptions extends ProbeAuth {
  readonly serverType: ServerType;
  readonly timeoutMs: number;
  /** Under the server root; default '/metrics'. */
  readonly path?: string;
}

export interface ScraperOptions extends ScrapeOptions {
  readonly intervalMs: number;
  /** Failed scrapes in a row that make the member leave; default 3. */
  readonly maxFailures?: number;
  /** The router's clock. */
  readonly now: () => number;
  /** Wait before the first scrape; default 0. */
  readonly firstDelayMs?: number;
}

export type ScrapeResult =
  { readonly ok: true; readonly load: ServerLoad } | { readonly ok: false; readonly reason: string; readonly refused: boolean };

export interface ScrapeEvents {
  /** After each scrape. */
  onScrape?(result: ScrapeResult): void;
  /** The loop has ended: the member is lost until readiness passes again. */
  onLost(reason: string): void;
}

/** Whom a scrape is told to: the router (PoolRouter.scraped). */
export interface ScrapeListener {
  scraped(member: PoolMember): void;
}

/** One scrape of one server. */
export async function scrapeOnce(control: Transport, baseUrl: string, options: ScrapeOptions): Promise<ScrapeResult> {
  const path = serverPaths(baseUrl).root + (options.path ?? '/metrics');
  try {
    const page = await getText(control, path, options, options.timeoutMs, 'text/plain');
    if (page.status < 200 || page.status >= 300) return { ok: false, reason: `metrics ${page.status}`, refused: false };
    return { ok: true, load: readServerLoad(options.serverType, page.text) };
  } catch (err) {
    const { reason, refused } = failureOf(err);
    return { ok: false, reason: `metrics: ${reason}`, refused };
  }
}

/** Writes a successful scrape into the member and tells the router. */
export function applyScrape(member: PoolMember, load: ServerLoad, now: number, listener: ScrapeListener): void {
  member.load = load;
  member.scrapedAt = now;
  listener.scraped(member);
}

/** Scrapes one member on its interval until stopped or lost; returns the stop function. */
export function startScraper(
  member: PoolMember,
  control: Transport,
  baseUrl: string,
  listener: ScrapeListener,
  options: ScraperOptions,
  events: ScrapeEvents,
): () => void {
  const maxFailures = options.maxFailures ?? 3;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => void tick(), Math.max(0, delayMs));
    timer.unref();
  };

  const tick = async () => {
    if (stopped) return;
    const startedAt = Date.now();
    const result = await scrapeOnce(control, baseUrl, options);
    if (stopped) return;
    if (result.ok) {
      failures = 0;
      applyScrape(member, result.load, options.now(), listener);
    } else failures += 1;
    events.onScrape?.(result);
    if (!result.ok && (result.refused || failures >= maxFailures)) {
      stopped = true;
      events.onLost(failures > 1 ? `${result.reason} (${failures} scrapes in a row)` : result.reason);
      return;
    }
    schedule(options.intervalMs - (Date.now() - startedAt));
  };

  schedule(options.firstDelayMs ?? 0);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
