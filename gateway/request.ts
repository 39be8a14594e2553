/**
 * One inference request's way through the gateway (DESIGN §1):
 *   resolve -> [canary] -> [limits] -> plan -> execute -> record
 * routes/ authenticates, reads and validates the HTTP request, then hands it here; nothing in this
 * file knows HTTP. What happened is gathered in a RequestRecord as the request goes, so that even a
 * request that fails half-way is recorded (metrics, the request log line) with what it got to.
 */
import type { ClientRequest, Operation, Usage } from '../adapters/types.js';
import type { TelemetrySink } from '../telemetry/sink.js';
import type { Logger } from '../telemetry/logger.js';
import type { GatewayError } from './errors/catalogue.js';
import type { ClientKey } from './access/keys.js';
import type { DeploymentRuntime, RouteRuntime } from './runtime/types.js';
import type { Runtime } from './runtime/runtime.js';
import { resolveRoute } from './routing/resolve.js';
import { estimateRequest, planCandidates } from './routing/plan.js';
import type { ClientLink } from './execute/client-link.js';
import type { RequestContext } from './execute/attempt-runner.js';
import { executeUnary } from './execute/unary.js';
import { executeStream } from './execute/stream.js';
import type { StreamSink, UnaryAnswer } from './execute/sink.js';

/** The status recorded for a client that left before its answer was complete (nginx's convention). */
export const clientClosedStatus = 499;

/** What happened to one request, filled in as it goes. */
export interface RequestRecord {
  readonly operation: Operation;
  readonly receivedAt: number;
  requestId: string;
  keyName: string | undefined;
  stream: boolean;
  route: RouteRuntime | undefined;
  deployment: DeploymentRuntime | undefined;
  attempts: number;
  status: number;
  usage: Usage | undefined;
  error: GatewayError | undefined;
}

export function newRequestRecord(operation: Operation, receivedAt: number, requestId: string): RequestRecord {
  return {
    operation,
    receivedAt,
    requestId,
    keyName: undefined,
    stream: false,
    route: undefined,
    deployment: undefined,
    attempts: 0,
    status: 200,
    usage: undefined,
    error: undefined,
  };
}

/** A validated client request and who sent it. */
export interface Inference {
  readonly model: string;
  readonly request: ClientRequest;
  readonly key: ClientKey | undefined;
  readonly client: ClientLink;
}

export interface PipelineDeps {
  readonly telemetry: TelemetrySink;
  /** The logger for the request line (see telemetry/logger.ts requestLogger). */
  readonly requestLog: Logger;
  /** Randomness for strategies and endpoint picks; tests pass a seeded one. */
  readonly random: () => number;
}

export class RequestPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /** Resolves and plans; the RequestContext the executor needs. */
  private prepare(rt: Runtime, inference: Inference, record: RequestRecord): RequestContext {
    const { request } = inference;
    const route = resolveRoute(rt, inference.model, inference.key, request.operation);
    record.route = route;
    this.deps.telemetry.requestStarted(route.name);
    return {
      route,
      client: inference.client,
      receivedAt: record.receivedAt,
      telemetry: this.deps.telemetry,
      redact: rt.redactor.redact,
      random: this.deps.random,
    };
  }

  private plan(ctx: RequestContext, request: ClientRequest): DeploymentRuntime[] {
    return planCandidates(ctx.route, request.operation, estimateRequest(request), ctx.receivedAt, ctx.random);
  }

  /** A complete non-stream answer, or a thrown GatewayError / ClientGone. */
  async unary(rt: Runtime, inference: Inference, record: RequestRecord): Promise<UnaryAnswer> {
    const ctx = this.prepare(rt, inference, record);
    const answer = await executeUnary(rt.attemptRunner, ctx, inference.request, this.plan(ctx, inference.request));
    record.deployment = answer.deployment;
    record.attempts = answer.attempts;
    record.usage = answer.usage;
    return answer;
  }

  /** Streams the answer into `sink`; failures after the first chunk end the stream there. */
  async stream(rt: Runtime, inference: Inference, sink: StreamSink, record: RequestRecord): Promise<void> {
    const ctx = this.prepare(rt, inference, record);
    const outcome = await executeStream(rt.attemptRunner, ctx, inference.request, this.plan(ctx, inference.request), sink);
    record.deployment = outcome.deployment;
    record.attempts = outcome.attempts;
    record.usage = outcome.usage;
    if (outcome.kind === 'failed') {
      record.status = outcome.error.status;
      record.error = outcome.error;
    } else if (outcome.kind === 'client_gone') {
      record.status = clientClosedStatus;
    }
  }

  /** Telemetry and the request log line, once the response is complete. */
  finish(record: RequestRecord): void {
    const { telemetry, requestLog } = this.deps;
    const durationMs = performance.now() - record.receivedAt;
    const routeName = record.route?.name ?? 'none';
    if (record.route) {
      telemetry.requestEnded(routeName);
      if (record.status === clientClosedStatus) telemetry.clientAborted(routeName);
    }
    telemetry.requestFinished({
      route: routeName,
      operation: record.operation,
      deployment: record.deployment,
      status: record.status,
      durationMs,
      stream: record.stream,
      usage: record.usage,
    });
    const level = record.error?.level ?? 'info';
    if (!requestLog.isLevelEnabled(level)) return;
    requestLog[level](
      {
        requestId: record.requestId,
        operation: record.operation,
        route: record.route?.name,
        deployment: record.deployment?.id,
        key: record.keyName,
        status: record.status,
        ms: Math.round(durationMs * 10) / 10,
        attempts: record.attempts,
        stream: record.stream,
        ...(record.usage ? { inputTokens: record.usage.promptTokens, outputTokens: record.usage.completionTokens } : {}),
        ...(record.error ? { error: record.error.code, message: record.error.message } : {}),
      },
      'request',
    );
  }
}
