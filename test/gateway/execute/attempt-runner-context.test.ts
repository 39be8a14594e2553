/**
 * The attempt runner's context-window decisions, with scripted attempts instead of upstreams: after
 * `context_length` it moves on only to a deployment whose window may be larger (another model with an
 * unknown window, or a larger known one), learns the window the upstream states, and skips without a
 * call a deployment whose known window the prompt surely exceeds. (The rest of the runner:
 * attempt-runner.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { newRun, useRuntimes } from '../../support/runner.js';
import { type Attempt } from '../../../gateway/execute/attempt-runner.js';
import { GatewayError } from '../../../gateway/errors/catalogue.js';
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';
import { silentSink, type TelemetrySink } from '../../../telemetry/sink.js';

/** A primary, a second deployment of its model, a larger one of its model, and deployments of another model. */
const text = `version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
  small: { provider: p, model: m, allow_floating: true }
  twin: { provider: p, model: m, allow_floating: true }
  large: { provider: p, model: m, context_window: 32000, allow_floating: true }
  other: { provider: p, model: n, allow_floating: true }
  other-small: { provider: p, model: n, context_window: 2000, allow_floating: true }
routes:
  r: { targets: [small, twin], fallbacks: [other], timeouts: { total_ms: 5000 } }
`;

const runtimeOf = useRuntimes();

function setup() {
  const runtime = runtimeOf(text);
  const events: string[] = [];
  const telemetry: TelemetrySink = {
    ...silentSink,
    attemptFinished: (_route, d, outcome) => events.push(`${d.id}:${outcome}`),
    failover: (_route, from, to) => events.push(`failover ${from.id}->${to.id}`),
  };
  const run = newRun(runtime.routes.get('r')!, telemetry);
  const deployments = (...ids: string[]) => ids.map((id) => runtime.deployments.get(id)!);
  return { run, events, runner: runtime.attemptRunner, deployments, health: (id: string) => runtime.deployments.get(id)!.health };
}

/** An attempt that answers context_length (stating `window`, when given) on the listed deployments. */
function tooLongOn(ids: string[], window?: number): Attempt<string> {
  return async (d) => {
    if (ids.includes(d.id)) {
      const extra = window !== undefined ? { status: 400, contextWindow: window } : { status: 400 };
      throw new UpstreamError(upstreamErrorOf('context_length', `too long for ${d.id}`, extra));
    }
    return `answer from ${d.id}`;
  };
}

describe('after a context-length failure', () => {
  it('moves to another model whose window is unknown, never to another deployment of the same model', async () => {
    const { run, events, runner, deployments } = setup();
    const result = await runner.run(run, deployments('small', 'twin', 'other'), tooLongOn(['small']));
    expect(result.deployment.id).toBe('other');
    expect(events).toEqual(['small:context_length', 'failover small->other', 'other:success']);
  });

  it('learns the window the upstream states, on the deployment health', async () => {
    const { run, runner, deployments, health } = setup();
    await runner.run(run, deployments('small', 'other'), tooLongOn(['small'], 4096));
    expect(health('small').learnedContextWindow).toBe(4096);
    expect(health('other').learnedContextWindow).toBeUndefined();
  });

  it('with the failed window known, moves to a larger known window (same model too), never a smaller one', async () => {
    const { run, events, runner, deployments } = setup();
    const result = await runner.run(run, deployments('small', 'other-small', 'large'), tooLongOn(['small'], 4096));
    expect(result.deployment.id).toBe('large');
    expect(events).toEqual(['small:context_length', 'failover small->large', 'large:success']);
  });

  it('answers the provider reason when no candidate may fit', async () => {
    const { run, events, runner, deployments } = setup();
    const err = await runner.run(run, deployments('small', 'twin'), tooLongOn(['small'], 4096)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded', message: 'too long for small' });
    expect(events).toEqual(['small:context_length']);
  });
});

describe('a deployment whose known window is too small', () => {
  it('is skipped without a call, and the failure log says context_length', async () => {
    const { run, events, runner, deployments, health } = setup();
    health('small').learnContextWindow(1000);
    run.promptTokensAtLeast = 1500;
    const result = await runner.run(run, deployments('small', 'other'), tooLongOn([]));
    expect(result.deployment.id).toBe('other');
    expect(run.attempts).toBe(1);
    expect(events).toEqual(['other:success']);
    expect(run.failures.summary()).toBe('small:context_length');
  });

  it('still gets a prompt that may fit, and nothing is skipped when the prompt was not counted', async () => {
    const first = setup();
    first.health('small').learnContextWindow(1000);
    first.run.promptTokensAtLeast = 1000;
    expect((await first.runner.run(first.run, first.deployments('small'), tooLongOn([]))).deployment.id).toBe('small');
    const second = setup();
    second.health('small').learnContextWindow(1000);
    expect((await second.runner.run(second.run, second.deployments('small'), tooLongOn([]))).deployment.id).toBe('small');
  });

  it('declared in the config counts too; when every candidate is skipped the client gets 400 naming the window', async () => {
    const { run, runner, deployments, health } = setup();
    health('small').learnContextWindow(1000);
    run.promptTokensAtLeast = 5000;
    const err = await runner.run(run, deployments('small', 'other-small'), tooLongOn([])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect((err as GatewayError).message).toMatch(/maximum context length is 1000 tokens \(as the upstream stated\)/);
    expect(run.attempts).toBe(0);
    expect(run.failures.summary()).toBe('small:context_length,other-small:context_length');
  });
});
