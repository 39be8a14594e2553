/**
 * A canary's gate (`routes.<name>.canary.gate`), run inside the gateway: the eval suite is read from its
 * file, and each case goes through the gateway's own pipeline as the canary variant — validated as an
 * HTTP request would be, with no client key (the gateway asks on its own behalf), counted in metrics
 * like any request but left out of the guard's windows. The canary gets no traffic until it passes
 * (gateway/canary/control.ts); a failed gate says which cases failed and why.
 */
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { GateResult, CanaryControl } from '../gateway/canary/control.js';
import { ClientLink } from '../gateway/execute/client-link.js';
import { runSuite, type EvalAnswer, type EvalSend } from '../gateway/evals/runner.js';
import { loadSuiteFile } from '../gateway/evals/suite.js';
import { newRequestRecord, type RequestPipeline } from '../gateway/request.js';
import { costUsd } from '../telemetry/cost.js';
import { toGatewayError } from './http-errors.js';
import { validators } from './validation/operations.js';
import type { GatewayDeps } from './deps.js';

/** Sends one eval case through the pipeline, in-process, as the given variant. */
export function localEvalSender(deps: GatewayDeps, pipeline: RequestPipeline): EvalSend {
  return async (body, variant): Promise<EvalAnswer> => {
    const receivedAt = performance.now();
    const record = newRequestRecord('chat', receivedAt, `gate-${randomUUID()}`);
    const outcome = (status: number, answerBody: unknown, cost: number | undefined): EvalAnswer => ({
      status,
      body: answerBody,
      latencyMs: performance.now() - receivedAt,
      costUsd: cost,
      servedVariant: record.variant,
      deployment: record.deployment?.id,
      failed: record.run?.failures.summary() || undefined,
    });
    try {
      const raw = Buffer.from(JSON.stringify(body));
      const { model, stream, includeUsage } = validators.chat(body);
      const answer = await pipeline.unary(
        deps.runtime.current,
        {
          model,
          key: undefined,
          client: new ClientLink(),
          headers: {},
          variant,
          request: { operation: 'chat', body, raw, stream, includeUsage },
        },
        record,
      );
      const cost = answer.usage && costUsd(answer.deployment.price, answer.usage.promptTokens, answer.usage.completionTokens);
      return outcome(200, JSON.parse(answer.body) as unknown, cost);
    } catch (err) {
      const error = toGatewayError(err, record.requestId);
      record.status = error.status;
      record.error = error;
      return outcome(error.status, { error: { message: error.message, code: error.code } }, undefined);
    } finally {
      pipeline.finish(record);
    }
  };
}

/** Runs a rollout's gate suite on its canary; the suite path is relative to the config file. */
export async function runCanaryGate(control: CanaryControl, send: EvalSend, configPath: string | undefined): Promise<GateResult> {
  const path = resolve(configPath === undefined ? process.cwd() : dirname(configPath), control.plan.gate!);
  const loaded = loadSuiteFile(path);
  if (!loaded.ok) return { passed: false, summary: `the suite ${control.plan.gate} is invalid: ${loaded.errors.slice(0, 5).join('; ')}` };
  const report = await runSuite(loaded.suite, control.plan.route, ['canary'], send);
  const v = report.variants[0]!;
  const failures = v.results.filter((r) => !r.pass).map((r) => `${r.name}: ${r.reason ?? 'failed'}`);
  const summary = `${v.passed}/${v.cases} cases of ${loaded.suite.name} passed${failures.length ? ` (${failures.slice(0, 3).join('; ')})` : ''}`;
  return { passed: report.pass, summary };
}
