/**
 * The attempt runner on its own, with scripted attempts instead of upstreams: the chain's order, and
 * the decisions it makes from a failure's kind alone (retry the same deployment, move on, move on only
 * to a larger window, stop), with every attempt counted in stats, the failure log and metrics.
 */
import { describe, expect, it } from 'vitest';
import { newRun, useRuntimes } from '../../support/runner.js';
import { createAttemptRunner, type Attempt } from '../../../gateway/execute/attempt-runner.js';
import { standardWrappers } from '../../../gateway/execute/wrappers/index.js';
import { GatewayError } from '../../../gateway/errors/catalogue.js';
import { UpstreamError, upstreamErrorOf, type UpstreamErrorKind } from '../../../adapters/upstream-error.js';
import { silentSink, type TelemetrySink } from '../../../telemetry/sink.js';

const text = `version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
  a: { provider: p, model: m, context_window: 8000, allow_floating: true }
  b: { provider: p, model: m, context_window: 8000, allow_floating: true }
  c: { provider: p, model: m, context_window: 128000, allow_floating: true }
routes:
  r: { targets: [a, b, c], retries: { same_deployment: 2, budget_percent: 100, backoff_ms: 1, max_backoff_ms: 2 }, timeouts: { total_ms: 5000 } }
`;

const runtimeOf = useRuntimes();

function setup(routeRetries = '') {
  const yaml = routeRetries ? text.replace('retries: { same_deployment: 2,', `retries: { ${routeRetries}, same_deployment: 2,`) : text;
  const rt = runtimeOf(yaml);
  const route = rt.routes.get('r')!;
  const events: string[] = [];
  const telemetry: TelemetrySink = {
    ...silentSink,
    attemptFinished: (_route, d, outcome) => events.push(`${d.id}:${outcome}`),
    failover: (_route, from, to) => events.push(`failover ${from.id}->${to.id}`),
    retried: (_route, d) => events.push(`retry ${d.id}`),
  };
  const run = newRun(route, telemetry);
  const plan = [...route.targets];
  return { rt, run, plan, events, runner: rt.attemptRunner, health: (id: string) => rt.deployments.get(id)!.health };
}

/** An attempt that fails with the next scripted kind per deployment, and answers when the script runs out. */
function scripted(script: Record<string, UpstreamErrorKind[]>, retryAfter = 4000): Attempt<string> {
  return async (d) => {
    const kind = script[d.id]?.shift();
    if (kind)
      throw new UpstreamError(upstreamErrorOf(kind, `${kind} from ${d.id}`, kind === 'rate_limited' ? { retryAfterMs: retryAfter } : {}));
    return `answer from ${d.id}`;
  };
}

describe('the attempt chain', () => {
  it('is composed in stage order: retry, deadline, cooldown, breaker permit, measure', () => {
    expect(createAttemptRunner(standardWrappers()).chain).toEqual(['retry', 'deadline', 'cooldown', 'breaker-permit', 'measure']);
  });

  it('refuses a chain out of order, naming the two wrappers', () => {
    const [retry, deadline, ...rest] = standardWrappers();
    expect(() => createAttemptRunner([deadline!, retry!, ...rest])).toThrow(/'deadline' \(stage 20\) must come after 'retry' \(stage 10\)/);
  });
});

describe('the attempt runner', () => {
  it('retries a transient failure on the same deployment, then answers there', async () => {
    const { run, plan, events, runner } = setup();
    const result = await runner.run(run, plan, scripted({ a: ['server', 'connection'] }));
    expect(result.value).toBe('answer from a');
    expect(run.attempts).toBe(3);
    expect(events).toEqual(['a:server', 'retry a', 'a:connection', 'retry a', 'a:success']);
    expect(run.failures.size).toBe(2);
  });

  it('moves on at once from a 429 and keeps the deployment out for its Retry-After', async () => {
    const { run, plan, events, runner, health } = setup();
    const result = await runner.run(run, plan, scripted({ a: ['rate_limited'] }));
    expect(result.deployment.id).toBe('b');
    expect(events).toEqual(['a:rate_limited', 'failover a->b', 'b:success']);
    expect(health('a').available(performance.now())).toBe(false);
  });

  it('after a context-length failure, tries only deployments with a larger window', async () => {
    const { run, plan, events, runner } = setup();
    const result = await runner.run(run, plan, scripted({ a: ['context_length'] }));
    expect(result.deployment.id).toBe('c');
    expect(events).toEqual(['a:context_length', 'failover a->c', 'c:success']);
  });

  it('stops at a client fault, with the upstream message as a gateway error', async () => {
    const { run, plan, events, runner } = setup();
    const err = await runner.run(run, plan, scripted({ a: ['bad_request'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect(events).toEqual(['a:bad_request']);
  });

  it('moves on from a timeout at once: the same deployment is likely still stuck', async () => {
    const { run, plan, events, runner } = setup();
    const result = await runner.run(run, plan, scripted({ a: ['timeout'] }));
    expect(result.deployment.id).toBe('b');
    expect(events).toEqual(['a:timeout', 'failover a->b', 'b:success']);
  });

  it('retries the same deployment after a timeout when the route opts in (retries.on_timeout)', async () => {
    const { run, plan, events, runner } = setup('on_timeout: true');
    const result = await runner.run(run, plan, scripted({ a: ['timeout'] }));
    expect(result.deployment.id).toBe('a');
    expect(events).toEqual(['a:timeout', 'retry a', 'a:success']);
  });

  it('waits out a Retry-After within max_retry_after_wait_ms and retries the same deployment', async () => {
    const { run, plan, events, runner, health } = setup('max_retry_after_wait_ms: 50');
    const result = await runner.run(run, plan, scripted({ a: ['rate_limited'] }, 30));
    expect(result.deployment.id).toBe('a');
    expect(events).toEqual(['a:rate_limited', 'retry a', 'a:success']);
    expect(health('a').available(performance.now())).toBe(true);
  });

  it('fails over at once from a Retry-After longer than max_retry_after_wait_ms', async () => {
    const { run, plan, events, runner } = setup('max_retry_after_wait_ms: 50');
    const result = await runner.run(run, plan, scripted({ a: ['rate_limited'] }, 5000));
    expect(result.deployment.id).toBe('b');
    expect(events).toEqual(['a:rate_limited', 'failover a->b', 'b:success']);
  });

  it('skips a deployment without a permit, counting no attempt there', async () => {
    const { run, plan, events, runner, health } = setup();
    health('a').force('open');
    const result = await runner.run(run, plan, scripted({}));
    expect(result.deployment.id).toBe('b');
    expect(run.attempts).toBe(1);
    expect(events).toEqual(['b:success']);
  });

  it('when every deployment fails, answers the most telling failure and feeds each one to its stats', async () => {
    const { run, plan, runner, health } = setup();
    const err = await runner
      .run(
        run,
        plan,
        scripted({
          a: ['timeout', 'timeout', 'timeout'],
          b: ['server', 'server', 'server'],
          c: ['overloaded', 'overloaded', 'overloaded'],
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).message).toContain("'b'");
    // a timed out once and was left at once (a silent upstream is not retried); b and c were retried twice.
    expect(run.attempts).toBe(7);
    const now = performance.now();
    expect(health('a').stats.snapshot(now).lastErrorKind).toBe('timeout');
    expect(health('c').stats.snapshot(now).recentAttempts).toBe(3);
    expect(health('b').stats.snapshot(now).inFlight).toBe(0);
  });
});
