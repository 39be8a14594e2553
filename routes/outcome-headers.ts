/**
 * The x-switchyard-* headers that say what happened, on every answer and error of the inference
 * endpoints: the route (`none` before one was resolved), the attempts made, what failed on the way
 * (`deployment:kind,…`, at most 512 characters), the canary variant and, when one answered, the
 * deployment; plus OpenAI's x-ratelimit-* headers from the key's and route's limits (none without).
 */
import { spilledSummary, type RequestRecord } from '../gateway/request.js';
import type { UnaryAnswer } from '../gateway/execute/sink.js';
import { costUsd } from '../telemetry/cost.js';

export function outcomeHeaders(record: RequestRecord, deployment: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchyard-route': record.route?.name ?? 'none',
    'x-switchyard-attempts': String(record.run?.attempts ?? 0),
  };
  if (deployment !== undefined) headers['x-switchyard-deployment'] = deployment;
  const failed = record.run?.failures.summary() ?? '';
  if (failed !== '') headers['x-switchyard-failed'] = failed;
  if (record.spilled !== undefined) headers['x-switchyard-spilled'] = spilledSummary(record.spilled);
  if (record.variant !== undefined) headers['x-switchyard-variant'] = record.variant;
  if (record.limits) Object.assign(headers, record.limits.headers());
  return headers;
}

/** The headers of a complete non-stream answer: the outcome, and what it cost at the deployment's price. */
export function answerHeaders(record: RequestRecord, answer: UnaryAnswer): Record<string, string> {
  const headers = outcomeHeaders(record, answer.deployment.id);
  // An eval suite's max_cost_usd reads it.
  if (answer.usage !== undefined)
    headers['x-switchyard-cost-usd'] = String(costUsd(answer.deployment.price, answer.usage.promptTokens, answer.usage.completionTokens));
  return headers;
}
