/** Picking an endpoint inside a pool: the less busy of two random draws, ties broken at random. */
import { describe, expect, it } from 'vitest';
import { pickLessBusy } from '../../upstream/endpoint-pool.js';

function seeded(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('pickLessBusy', () => {
  const items = [
    { id: 'a', inFlight: 5 },
    { id: 'b', inFlight: 1 },
    { id: 'c', inFlight: 3 },
  ];

  it('takes the less busy of the two drawn', () => {
    // draws a (0.0 -> 0) and then b (0.0 -> 0, shifted past a -> 1)
    expect(pickLessBusy(items, seeded([0, 0])).id).toBe('b');
    // draws c (0.9 -> 2) and a (0.0 -> 0)
    expect(pickLessBusy(items, seeded([0.9, 0])).id).toBe('c');
  });

  it('never draws the same item twice', () => {
    for (let k = 0; k < 50; k += 1) {
      const r = Math.random;
      const two = [
        { inFlight: 0, id: 'x' },
        { inFlight: 9, id: 'y' },
      ];
      expect(pickLessBusy(two, r).id).toBe('x');
    }
  });

  it('breaks ties at random, not by order', () => {
    const tied = [
      { id: 'a', inFlight: 0 },
      { id: 'b', inFlight: 0 },
    ];
    expect(pickLessBusy(tied, seeded([0, 0, 0.2])).id).toBe('a');
    expect(pickLessBusy(tied, seeded([0, 0, 0.7])).id).toBe('b');
  });
});
