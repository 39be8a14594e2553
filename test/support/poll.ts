/** Waiting in tests for something that happens asynchronously, without asserting how long it takes. */

/** Polls `check` every 10 ms until it holds; fails after ~3 s naming `what` was awaited. */
export async function pollUntil(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}
