/**
 * Shadow traffic (`routes.<name>.shadow`): a copy of a share of live requests goes to another
 * deployment and its answer is thrown away; only its latency, errors and output length are kept, in
 * metrics beside the primary's (telemetry: shadowFinished). The copy runs detached from the client's
 * request: it never delays, changes or fails it, is not charged to the key's limits, and is always sent
 * non-stream (its whole-answer time is what is compared). At most `max_in_flight` copies run at once
 * per route, so a slow shadow deployment cannot pile up work. It costs real tokens.
 */
import type { ClientRequest } from '../../adapters/types.js';
import { silentSink, type TelemetrySink } from '../../telemetry/sink.js';
import { AttemptRun } from '../execute/attempt-runner.js';
import { ClientLink } from '../execute/client-link.js';
import { executeUnary } from '../execute/unary.js';
import type { Runtime } from '../runtime/runtime.js';
import type { RouteRuntime, ShadowRuntime } from '../runtime/types.js';

/** Sends the copy; false when it was skipped (too many under way). */
export function sendShadowCopy(
  rt: Runtime,
  route: RouteRuntime,
  shadow: ShadowRuntime,
  request: ClientRequest,
  telemetry: TelemetrySink,
  random: () => number,
): boolean {
  if (shadow.inFlight.count >= shadow.maxInFlight) {
    telemetry.shadowFinished(route.name, 'shadow', 'skipped');
    return false;
  }
  shadow.inFlight.count += 1;
  const body: Record<string, unknown> = { ...request.body, stream: false };
  delete body.stream_options;
  const copy: ClientRequest = {
    operation: request.operation,
    body,
    raw: Buffer.from(JSON.stringify(body)),
    stream: false,
    includeUsage: false,
  };
  const startedAt = performance.now();
  // The copy's attempts stay out of the route's request metrics: only the shadow metrics tell of it.
  const run = new AttemptRun({
    route: shadow.view,
    client: new ClientLink(),
    receivedAt: startedAt,
    telemetry: silentSink,
    redact: rt.redactor.redact,
    random,
  });
  executeUnary(rt.attemptRunner, run, copy, [shadow.deployment])
    .then(
      (answer) => telemetry.shadowFinished(route.name, 'shadow', 'success', performance.now() - startedAt, answer.usage?.completionTokens),
      () => telemetry.shadowFinished(route.name, 'shadow', 'error', performance.now() - startedAt),
    )
    .finally(() => (shadow.inFlight.count -= 1));
  return true;
}
