/**
 * One inference request's way through the gateway (DESIGN §1):
 *   resolve -> [canary, shadow] -> [limits] -> plan -> execute -> record (and the canary guard's window)
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
import { estimateRequest, planCandidates, type Spill } from './routing/plan.js';
import { anyKnownWindow, promptTokensAtLeast } from './routing/context-window.js';
import type { ClientLink } from './execute/client-link.js';
import { AttemptRun } from './execute/attempt-runner.js';
import { executeUnary } from './execute/unary.js';
import { executeStream } from './execute/stream.js';
import type { StreamSink, UnaryAnswer } from './execute/sink.js';
import type { Limiter, RequestLimits } from './limits/admission.js';
import { assignVariant, type Headers, type Variant } from './routing/canary.js';
import type { CanaryObservation } from './canary/window.js';
import { sendShadowCopy } from './canary/shadow.js';
import { costUsd } from '../telemetry/cost.js';

/** The status recorded for a client that left before its answer was complete (nginx's convention). */
export const clientClosedStatus = 499;

/** What happened to one request, filled in as it goes. */
export interface RequestRecord {
  readonly operation: Operation;
  /**
   * The API the client called, as metrics and the request line name it: the operation for OpenAI's
   * endpoints, the front door's (`messages`, `responses`) for the others.
   */
  readonly api: string;
  readonly receivedAt: number;
  requestId: string;
  keyName: string | undefined;
  stream: boolean;
  route: RouteRuntime | undefined;
  /** The request's attempts (count and failures), once it has a route. */
  run: AttemptRun | undefined;
  deployment: DeploymentRuntime | undefined;
  status: number;
  usage: Usage | undefined;
  error: GatewayError | undefined;
  /** The limits the request took (settled when it finishes); undefined when nothing limits it. */
  limits: RequestLimits | undefined;
  /** The canary variant that served it, on routes with a canary; undefined otherwise. */
  variant: Variant | undefined;
  /** The variant was chosen by an operator or the gate, not by assignment: the guard does not count it. */
  variantForced: boolean;
  /** A copy went to the route's shadow deployment: the primary's side is recorded beside it. */
  shadowed: boolean;
  /** The GPU pools that were saturated and spilled the request to the next candidate; undefined: none. */
  spilled: readonly Spill[] | undefined;
}

export function newRequestRecord(operation: Operation, receivedAt: number, requestId: string, api: string = operation): RequestRecord {
  return {
    operation,
    api,
    receivedAt,
    requestId,
    keyName: undefined,
    stream: false,
    route: undefined,
    deployment: undefined,
    run: undefined,
    status: 200,
    usage: undefined,
    error: undefined,
    limits: undefined,
    variant: undefined,
    variantForced: false,
    shadowed: false,
    spilled: undefined,
  };
}

const observation: CanaryObservation = { failed: false, ttftMs: undefined, latencyMs: undefined, costUsd: undefined };

/**
 * Feeds the canary guard one finished request of its variant. Failed: the variant's own targets did
 * not answer (an error, or another deployment had to, also when they were out of plans: a canary whose
 * breaker is open is failing its users over). Left out: a client that left, a request nothing was tried
 * for (a limit refused it), one refused for the client's own fault (4xx but 429), and a token count.
 */
function observeCanary(record: RequestRecord, durationMs: number): void {
  const control = record.route!.canary!.control;
  const { status, deployment, run, usage } = record;
  if (status === clientClosedStatus || run === undefined || run.attempts === 0) return;
  // A token count is no answer: its latency and cost say nothing about the variant.
  if (record.operation === 'count_tokens') return;
  if (status >= 400 && status < 500 && status !== 429) return;
  const own = record.variant === 'canary' ? control.plan.canaryTargets : control.plan.stableTargets;
  const failed = status >= 400 || deployment === undefined || !own.has(deployment.id);
  observation.failed = failed;
  observation.latencyMs = failed ? undefined : durationMs;
  observation.ttftMs = failed || run.firstTokenAt === undefined ? undefined : run.firstTokenAt - record.receivedAt;
  observation.costUsd = failed || usage === undefined ? undefined : costUsd(deployment!.price, usage.promptTokens, usage.completionTokens);
  control.observe(record.variant!, record.receivedAt + durationMs, observation);
}

/** `deployment:reason,…`: the GPU pools that spilled a request and why (header and log line). */
export function spilledSummary(spills: readonly Spill[]): string {
  return spills.map((s) => `${s.deployment.id}:${s.reason}`).join(',');
}

/** A validated client request and who sent it. */
export interface Inference {
  readonly model: string;
  readonly request: ClientRequest;
  readonly key: ClientKey | undefined;
  readonly client: ClientLink;
  /** The request's headers (a canary may stick on one; an operator may force a variant). */
  readonly headers: Headers;
  /** The variant the gateway itself wants (a canary's gate suite); undefined: assigned as usual. */
  readonly variant?: Variant;
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

  /** Resolves the route and opens the request's attempt run, which the record keeps. */
  private start(rt: Runtime, inference: Inference, record: RequestRecord): AttemptRun {
    const route = resolveRoute(rt, inference.model, inference.key, inference.request.operation);
    record.route = route;
    this.deps.telemetry.requestStarted(route.name);
    const run = new AttemptRun({
      route,
      client: inference.client,
      receivedAt: record.receivedAt,
      telemetry: this.deps.telemetry,
      redact: rt.redactor.redact,
      random: this.deps.random,
      headers: inference.headers,
    });
    record.run = run;
    return run;
  }

  /** The candidates in order, after the request's limits are taken (admission may drop deployments at quota). */
  /** Synchronous unless limits must be taken (no promise or microtask per request on a gateway without limits). */
  private plan(
    rt: Runtime,
    run: AttemptRun,
    inference: Inference,
    record: RequestRecord,
  ): readonly DeploymentRuntime[] | Promise<readonly DeploymentRuntime[]> {
    const { request } = inference;
    const { route } = run.ctx;
    // A route with a canary plans the variant's view of it (canary targets first); others plan the route.
    let planRoute = route;
    if (route.canary !== undefined) {
      record.variant =
        inference.variant ??
        assignVariant(route, request.body, inference.key, inference.headers, rt.config.server.admin_key, run.ctx.random);
      record.variantForced = inference.variant !== undefined || inference.headers['x-switchyard-variant'] !== undefined;
      this.deps.telemetry.canaryRequest(route.name, record.variant);
      if (record.variant === 'canary') planRoute = route.canary.view;
    }
    const planned = planCandidates(
      planRoute,
      request.operation,
      estimateRequest(request),
      run.ctx.receivedAt,
      run.ctx.random,
      request.native,
      (spills) => {
        record.spilled = spills;
        for (const s of spills) this.deps.telemetry.poolSpilled(route.name, s.deployment, s.reason);
      },
    );
    // Counting the prompt's text costs a walk over the messages: only when a window can be compared.
    if (anyKnownWindow(planned)) run.promptTokensAtLeast = promptTokensAtLeast(request);
    return rt.limiter === undefined ? planned : this.admit(rt.limiter, run, inference, record, planned);
  }

  /** Takes the request's limits; the plan without the deployments at quota. */
  private async admit(
    limiter: Limiter,
    run: AttemptRun,
    inference: Inference,
    record: RequestRecord,
    planned: readonly DeploymentRuntime[],
  ): Promise<readonly DeploymentRuntime[]> {
    const admitted = await limiter.admit(inference.key, run.ctx.route, planned, inference.request);
    record.limits = admitted.limits;
    run.limits = admitted.limits;
    return admitted.plan;
  }

  /** Copies a share of the route's admitted requests to its shadow deployment (gateway/canary/shadow.ts). */
  private shadow(rt: Runtime, run: AttemptRun, inference: Inference, record: RequestRecord): void {
    const { route, random } = run.ctx;
    const shadow = route.shadow!;
    if (!shadow.deployment.operations.has(inference.request.operation) || random() >= shadow.share) return;
    record.shadowed = sendShadowCopy(rt, route, shadow, inference.request, this.deps.telemetry, random);
  }

  /** A complete non-stream answer, or a thrown GatewayError / ClientGone. */
  async unary(rt: Runtime, inference: Inference, record: RequestRecord): Promise<UnaryAnswer> {
    const run = this.start(rt, inference, record);
    const planned = this.plan(rt, run, inference, record);
    const candidates = Array.isArray(planned) ? planned : await planned;
    if (run.ctx.route.shadow !== undefined) this.shadow(rt, run, inference, record);
    const answer = await executeUnary(rt.attemptRunner, run, inference.request, candidates);
    record.deployment = answer.deployment;
    record.usage = answer.usage;
    return answer;
  }

  /** Streams the answer into `sink`; failures after the first chunk end the stream there. */
  async stream(rt: Runtime, inference: Inference, sink: StreamSink, record: RequestRecord): Promise<void> {
    const run = this.start(rt, inference, record);
    const planned = this.plan(rt, run, inference, record);
    const candidates = Array.isArray(planned) ? planned : await planned;
    if (run.ctx.route.shadow !== undefined) this.shadow(rt, run, inference, record);
    const outcome = await executeStream(rt.attemptRunner, run, inference.request, candidates, sink);
    record.deployment = outcome.deployment;
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
    if (record.limits) record.limits.limiter.settle(record.limits, record.deployment, record.usage);
    if (record.route) {
      telemetry.requestEnded(routeName);
      if (record.status === clientClosedStatus) telemetry.clientAborted(routeName);
      if (record.variant !== undefined && !record.variantForced) observeCanary(record, durationMs);
      if (record.shadowed)
        telemetry.shadowFinished(
          routeName,
          'primary',
          record.status < 400 ? 'success' : 'error',
          durationMs,
          record.usage?.completionTokens,
        );
    }
    telemetry.requestFinished({
      route: routeName,
      operation: record.api,
      deployment: record.deployment,
      status: record.status,
      durationMs,
      stream: record.stream,
      usage: record.usage,
    });
    const level = record.error?.level ?? 'info';
    if (!requestLog.isLevelEnabled(level)) return;
    const failed = record.run?.failures.summary() ?? '';
    requestLog[level](
      {
        requestId: record.requestId,
        operation: record.api,
        route: record.route?.name,
        deployment: record.deployment?.id,
        key: record.keyName,
        status: record.status,
        ms: Math.round(durationMs * 10) / 10,
        attempts: record.run?.attempts ?? 0,
        ...(failed !== '' ? { failed } : {}),
        ...(record.spilled ? { spilled: spilledSummary(record.spilled) } : {}),
        stream: record.stream,
        ...(record.usage ? { inputTokens: record.usage.promptTokens, outputTokens: record.usage.completionTokens } : {}),
        ...(record.error ? { error: record.error.code, message: record.error.message } : {}),
      },
      'request',
    );
  }
}
