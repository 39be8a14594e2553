/**
 * Runs an eval suite on a route, once per variant (stable, canary), through a `send` function that
 * owns the transport: the CLI sends over HTTP, a canary gate in the gateway may send in-process. A
 * case never throws: a send that rejects, a non-2xx answer, an answer from another variant than the
 * one asked for, or a canary answer that came after a failure (from the fallbacks) fails the case with
 * the reason. Variants run one after the other so that they do not
 * share the upstreams' load; a variant's cases run `concurrency` at a time (default 4).
 */
import { compileChecks, type AnswerCheck } from './checks.js';
import { summarize, type CaseResult, type EvalReport, type EvalVariant } from './report.js';
import type { EvalCase, Suite } from './suite.js';

export type { EvalVariant } from './report.js';

export interface EvalAnswer {
  status: number;
  body: unknown;
  latencyMs: number;
  costUsd: number | undefined;
  /** `x-switchyard-variant`: absent on a route without a canary, which only has the stable variant. */
  servedVariant: string | undefined;
  deployment: string | undefined;
  /**
   * What failed before the answer (`x-switchyard-failed`): a canary answer after a failure is the stable
   * targets' answer (the canary variant falls back to them), so it fails the canary's case.
   */
  failed?: string | undefined;
}

export type EvalSend = (body: Record<string, unknown>, variant: EvalVariant) => Promise<EvalAnswer>;

export interface RunOptions {
  concurrency?: number;
}

const defaultConcurrency = 4;

interface Usage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The error message of a non-2xx answer, as the OpenAI error shape or a plain text carries it. */
function failureOf(answer: EvalAnswer): string {
  const body = answer.body;
  const message = typeof body === 'string' ? body : (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' && message !== '' ? `HTTP ${answer.status}: ${message.slice(0, 200)}` : `HTTP ${answer.status}`;
}

async function runCase(c: EvalCase, route: string, variant: EvalVariant, send: EvalSend): Promise<CaseResult> {
  const failed = (reason: string): CaseResult => ({
    name: c.name,
    pass: false,
    reason,
    status: null,
    latencyMs: null,
    costUsd: null,
    promptTokens: 0,
    completionTokens: 0,
    servedVariant: null,
    deployment: null,
  });
  let check: AnswerCheck;
  let answer: EvalAnswer;
  try {
    check = compileChecks(c.expect);
    answer = await send({ ...c.body, model: route, stream: false }, variant);
  } catch (err) {
    return failed(`request failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const served = answer.servedVariant ?? 'stable';
  const reasons =
    answer.status < 200 || answer.status > 299
      ? [failureOf(answer)]
      : served !== variant
        ? [`served by ${served}, not ${variant}`]
        : variant === 'canary' && answer.failed
          ? [`the canary failed (${answer.failed.slice(0, 200)}); ${answer.deployment ?? 'another deployment'} answered`]
          : check({ body: answer.body, latencyMs: answer.latencyMs, costUsd: answer.costUsd });
  const usage = ((answer.body as { usage?: Usage } | null)?.usage ?? {}) as Usage;
  return {
    name: c.name,
    pass: reasons.length === 0,
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    status: answer.status,
    latencyMs: Math.round(answer.latencyMs * 10) / 10,
    costUsd: answer.costUsd ?? null,
    promptTokens: count(usage.prompt_tokens),
    completionTokens: count(usage.completion_tokens),
    servedVariant: answer.servedVariant ?? null,
    deployment: answer.deployment ?? null,
  };
}

/** `work` over `items`, at most `limit` at a time, results in the items' order. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function runSuite(
  suite: Suite,
  route: string,
  variants: readonly EvalVariant[],
  send: EvalSend,
  options: RunOptions = {},
): Promise<EvalReport> {
  const limit = Math.max(1, Math.floor(options.concurrency ?? defaultConcurrency));
  const runs = [];
  for (const variant of variants) {
    const results = await pooled(suite.cases, limit, (c) => runCase(c, route, variant, send));
    runs.push(summarize(variant, results));
  }
  return { suite: suite.name, route, pass: runs.every((r) => r.failed === 0), variants: runs };
}
