/** One sink for many: fan-out to each, no wrapper for one, silence for none. */
import { describe, expect, it } from 'vitest';
import { combineSinks, silentSink, type TelemetrySink } from '../../telemetry/sink.js';
import { costUsd } from '../../telemetry/cost.js';

function recording(name: string, seen: string[]): TelemetrySink {
  return {
    ...silentSink,
    retried: (route, d) => seen.push(`${name}:${route}:${d.id}`),
    ejected: (id) => seen.push(`${name}:ejected:${id}`),
  };
}

const deployment = { id: 'd1', provider: { id: 'p' }, price: { inputPerMTok: 1, outputPerMTok: 2 } };

describe('combineSinks', () => {
  it('tells every sink every fact, in order', () => {
    const seen: string[] = [];
    const sink = combineSinks([recording('a', seen), recording('b', seen)]);
    sink.retried('chat', deployment);
    sink.ejected('d1');
    sink.requestStarted('chat');
    expect(seen).toEqual(['a:chat:d1', 'b:chat:d1', 'a:ejected:d1', 'b:ejected:d1']);
  });

  it('is the sink itself when there is one, and the silent sink when there is none', () => {
    const only = recording('a', []);
    expect(combineSinks([only])).toBe(only);
    expect(combineSinks([])).toBe(silentSink);
  });
});

describe('costUsd', () => {
  it('prices input and output tokens per million', () => {
    expect(costUsd({ inputPerMTok: 2.5, outputPerMTok: 10 }, 1000, 200)).toBeCloseTo(0.0045, 10);
  });
});
