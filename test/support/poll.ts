/** Waiting in tests for something that happens asynchronously, without asserting how long it takes. */

/**
 * Polls `check` every 10 ms until it holds; fails after ~3 s (300 checks) naming `what` was awaited.
 * With `limitMs`, it gives up once that much wall-clock time has passed instead: a bound the feature
 * promises (say so where it is passed); `everyMs` spaces checks that cost something (a request).
 */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: { limitMs?: number; everyMs?: number } = {},
): Promise<void> {
  const everyMs = options.everyMs ?? 10;
  const giveUpAt = options.limitMs === undefined ? Infinity : Date.now() + options.limitMs;
  for (let i = 0; options.limitMs !== undefined || i < 300; i++) {
    if (await check()) return;
    if (Date.now() >= giveUpAt) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
