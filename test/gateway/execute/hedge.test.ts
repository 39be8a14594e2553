/**
 * Hedged first tokens on their own (gateway/execute/hedge.ts), with scripted tries: the hedge starts only
 * after the delay, the first token wins and the other try is cancelled (recorded `aborted`), at most one
 * hedge runs at a time, and the percentile delay comes from the deployment's TTFT estimate.
 */
import { describe, expect, it } from 'vitest';
import { newRun, useRuntimes } from '../../support/runner.js';
import { type Attempt } from '../../../gateway/execute/attempt-runner.js';
import { hedgeDelayMs, runHedged } from '../../../gateway/execute/hedge.js';
import { HedgeLost } from '../../../gateway/execute/abort-reasons.js';
import { UpstreamError, upstreamErrorOf, type UpstreamErrorKind } from '../../../adapters/upstream-error.js';
import { silentSink, type TelemetrySink } from '../../../telemetry/sink.js';

const text = `version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
  a: { provider: p, model: m, allow_floating: true }
  b: { provider: p, model: m, allow_floating: true }
  c: { provider: p, model: m, allow_floating: true }
routes:
  r: { targets: [a, b, c], hedge: { after_ms: 30 }, retries: { same_deployment: 0 }, timeouts: { total_ms: 5000 } }
`;

const runtimeOf = useRuntimes();

function setup() {
  const rt = runtimeOf(text);
  const route = rt.routes.get('r')!;
  const events: string[] = [];
  const telemetry: TelemetrySink = {
    ...silentSink,
    attemptFinished: (_route, d, outcome) => events.push(`${d.id}:${outcome}`),
    hedged: (_route, d, result) => events.push(`hedge ${d.id} ${result}`),
  };
  return { run: newRun(route, telemetry), route, events, runner: rt.attemptRunner, plan: [...route.targets] };
}

/** Each deployment's try: its first token after `ms`, or a failure of `kind` after 40 ms. Counts tries running at once. */
function racing(script: Record<string, number | UpstreamErrorKind>, seen = { now: 0, max: 0 }): Attempt<string> {
  return (d, _run, report) =>
    new Promise<string>((resolve, reject) => {
      const spec = script[d.id]!;
      let over = false;
      const end = () => {
        if (over) return false;
        over = true;
        seen.now -= 1;
        return true;
      };
      seen.now += 1;
      seen.max = Math.max(seen.max, seen.now);
      const timer = setTimeout(
        () => {
          if (!end()) return;
          if (typeof spec === 'string') reject(new UpstreamError(upstreamErrorOf(spec, `${spec} from ${d.id}`)));
          else if (report.hedge && !report.hedge.claimFirstToken()) reject(new HedgeLost());
          else resolve(`answer from ${d.id}`);
        },
        typeof spec === 'number' ? spec : 40,
      );
      report.hedge?.attach({
        abort: (reason) => {
          clearTimeout(timer);
          if (end()) reject(reason);
        },
      });
    });
}

describe('hedged first tokens', () => {
  it('races the next candidate after the delay; the first token wins, the other is aborted', async () => {
    const { run, route, events, runner, plan } = setup();
    const result = await runHedged(runner, run, plan, racing({ a: 500, b: 10 }), route.hedge!);
    expect(result.value).toBe('answer from b');
    expect(run.attempts).toBe(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(events.slice(0, 1)).toEqual(['hedge b won']);
    expect(events.slice(1).sort()).toEqual(['a:aborted', 'b:success']);
    expect(run.failures.summary()).toBe('');
  });

  it('starts no hedge when the first token comes before the delay', async () => {
    const { run, route, events, runner, plan } = setup();
    const result = await runHedged(runner, run, plan, racing({ a: 5, b: 5 }), route.hedge!);
    expect(result.value).toBe('answer from a');
    expect(run.attempts).toBe(1);
    expect(events).toEqual(['a:success']);
  });

  it('keeps at most one hedge in flight; a hedge that fails is replaced by the next candidate', async () => {
    const { run, route, events, runner, plan } = setup();
    const seen = { now: 0, max: 0 };
    const result = await runHedged(runner, run, plan, racing({ a: 500, b: 'auth', c: 10 }, seen), route.hedge!);
    expect(result.value).toBe('answer from c');
    expect(seen.max).toBe(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(events.slice(0, 3)).toEqual(['b:auth', 'hedge b lost', 'hedge c won']);
    expect(events.slice(3).sort()).toEqual(['a:aborted', 'c:success']);
  });

  it('lets the primary win after the hedge started, and counts the hedge as lost', async () => {
    const { run, route, events, runner, plan } = setup();
    const result = await runHedged(runner, run, plan, racing({ a: 60, b: 500 }), route.hedge!);
    expect(result.value).toBe('answer from a');
    await new Promise((r) => setTimeout(r, 10));
    expect(events.slice(0, 1)).toEqual(['hedge b lost']);
    expect(events.slice(1).sort()).toEqual(['a:success', 'b:aborted']);
  });

  it('takes the percentile delay from the peak-EWMA of time to first token, none before a sample', () => {
    const { route } = setup();
    const d = route.targets[0]!;
    expect(hedgeDelayMs({ after_percentile: 95 }, d, performance.now())).toBeUndefined();
    d.health.stats.succeeded(performance.now(), undefined, 100);
    expect(hedgeDelayMs({ after_percentile: 95 }, d, performance.now())).toBeCloseTo(299.6, 0);
    expect(hedgeDelayMs({ after_ms: 250 }, d, performance.now())).toBe(250);
  });
});
