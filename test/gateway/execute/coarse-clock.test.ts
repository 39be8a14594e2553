/** The shared deadline ticker: fires due timers once, never cancelled ones, and stops when idle. */
import { describe, expect, it } from 'vitest';
import { CoarseClock } from '../../../gateway/execute/coarse-clock.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CoarseClock', () => {
  it('fires a due timer exactly once and drops cancelled ones', async () => {
    const clock = new CoarseClock(5);
    const fired: string[] = [];
    clock.schedule(performance.now(), () => fired.push('due'));
    const cancelled = clock.schedule(performance.now(), () => fired.push('cancelled'));
    clock.cancel(cancelled);
    clock.schedule(performance.now() + 60_000, () => fired.push('later'));
    for (let i = 0; i < 100 && fired.length === 0; i += 1) await tick(5);
    await tick(20);
    expect(fired).toEqual(['due']);
    expect(clock.pending).toBe(1);
  });

  it('has nothing pending once every timer is cancelled', () => {
    const clock = new CoarseClock(5);
    const a = clock.schedule(performance.now() + 1000, () => undefined);
    clock.cancel(a);
    expect(clock.pending).toBe(0);
  });
});
