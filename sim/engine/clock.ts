/**
 * Clocks for the engine: the wall clock (performance.now and unref'd setTimeout, for the HTTP
 * simulator) and a virtual one (an event queue on a binary heap, for benchmarks and tests: millions
 * of events run in seconds, events at equal times in the order they were scheduled).
 */
import type { Clock, Timer } from './types.js';

export const wallClock: Clock = {
  now: () => performance.now(),
  schedule(delayMs: number, fn: () => void): Timer {
    const timer = setTimeout(fn, delayMs > 0 ? delayMs : 0);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface VirtualEvent extends Timer {
  time: number;
  seq: number;
  fn: (() => void) | undefined;
}

function before(a: VirtualEvent, b: VirtualEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly heap: VirtualEvent[] = [];
  /** Events run so far. */
  executed = 0;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Events still queued (cancelled ones included until they surface). */
  get pending(): number {
    return this.heap.length;
  }

  schedule(delayMs: number, fn: () => void): Timer {
    const event: VirtualEvent = {
      time: this.time + (delayMs > 0 ? delayMs : 0),
      seq: this.seq++,
      fn,
      cancel() {
        event.fn = undefined;
      },
    };
    this.push(event);
    return event;
  }

  /** Runs every event due at or before `t`, then sets the time to `t` (if it is later). */
  runUntil(t: number): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.time <= t) this.runNext();
    if (t > this.time) this.time = t;
  }

  /** Runs events until none is left (or the next is after `maxT`). Returns the time reached. */
  runUntilIdle(maxT = Infinity): number {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.time <= maxT) this.runNext();
    return this.time;
  }

  private runNext(): void {
    const event = this.pop();
    const fn = event.fn;
    if (fn === undefined) return;
    event.fn = undefined;
    this.time = event.time;
    this.executed += 1;
    fn();
  }

  private push(event: VirtualEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): VirtualEvent {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[c]!, last)) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
