/**
 * Admission: a request's key, route and deployment limits checked and taken in one store call (one
 * Redis round trip), before the first attempt. Key and route limits answer the client (429, or 429
 * insufficient_quota for a spent budget); a deployment at its own quota only leaves the plan, and the
 * client gets a 429 only when every candidate is at quota (with the soonest reset). A later failover to a
 * deployment with limits takes them then (the limiter slot of the attempt chain, wrappers/limiter-slot.ts).
 * After the answer, settle() reconciles reserved tokens with the usage reported (failed attempts are
 * refunded whole), releases leases, charges budgets and adds to the key's ledger, off the client's path.
 */
import { randomUUID } from 'node:crypto';
import type { ClientRequest, Usage } from '../../adapters/types.js';
import { costUsd } from '../../telemetry/cost.js';
import type { ClientKey } from '../access/keys.js';
import { GatewayError } from '../errors/catalogue.js';
import { promptTokensAtLeast } from '../routing/context-window.js';
import type { DeploymentRuntime, RouteRuntime } from '../runtime/types.js';
import { budgetPeriod, checksOf, defaultReservedOutputTokens, describeCheck, type SubjectLimits } from './policy.js';
import { rateLimitHeaders, retryHeaders } from './headers.js';
import { LimitsUnavailable, type Admission, type LimitCheck, type LimitStore, type Refusal, type Settlement } from './store.js';

/** One request's taken limits, kept on its record until it settles. */
export class RequestLimits {
  /** Deployment limits taken (at admission, or on failover), by deployment. */
  readonly taken = new Map<DeploymentRuntime, LimitCheck[]>();

  constructor(
    readonly limiter: Limiter,
    readonly key: ClientKey | undefined,
    readonly required: readonly LimitCheck[],
    readonly admission: Admission,
    readonly reservedTokens: number,
    readonly leaseId: string,
  ) {}

  /** The x-ratelimit-* headers of every answer (empty when the key and route have no rate limits). */
  headers(): Record<string, string> {
    return rateLimitHeaders(this.admission.states);
  }

  /** Takes a deployment's own limits on failover; false when it is at quota (the runner moves on). */
  async takeDeployment(d: DeploymentRuntime): Promise<Refusal | undefined> {
    const checks = checksOf(d.limits!, this.reservedTokens, Date.now());
    const result = await this.limiter.store.admit([], [checks], this.leaseId);
    if (!result.admitted) return result.refusal;
    this.taken.set(d, checks);
    return undefined;
  }
}

export class Limiter {
  private readonly active = new Set<RequestLimits>();
  private renewTimer: NodeJS.Timeout | undefined;

  /** `onRefused`: a request was refused by a limit (metrics): its route, the limit's scope and which limit. */
  constructor(
    readonly store: LimitStore,
    private readonly onRefused: (route: string, scope: string, limit: string) => void = () => undefined,
    private readonly leaseTtlMs = 60_000,
  ) {}

  /**
   * Admits the request or throws the client's 429/503. Returns the plan without the deployments at
   * quota, and the taken limits (undefined when nothing limits this request: no store call was made).
   */
  async admit(
    key: ClientKey | undefined,
    route: RouteRuntime,
    plan: readonly DeploymentRuntime[],
    req: ClientRequest,
  ): Promise<{ plan: readonly DeploymentRuntime[]; limits: RequestLimits | undefined }> {
    const keyLimits = key?.limits;
    const routeLimits = route.limits;
    const limited = plan.some((d) => d.limits !== undefined);
    if (keyLimits === undefined && routeLimits === undefined && !limited) {
      // A key still gets its usage ledger (GET /admin/keys): settled after the answer, nothing taken now.
      return { plan, limits: key === undefined ? undefined : this.open(key) };
    }
    const now = Date.now();
    const reserved = reservedTokens(req, keyLimits, routeLimits, plan);
    const required = [
      ...(keyLimits ? checksOf(keyLimits, reserved, now) : []),
      ...(routeLimits ? checksOf(routeLimits, reserved, now) : []),
    ];
    const candidates = limited ? plan.map((d) => (d.limits ? checksOf(d.limits, reserved, now) : [])) : [];
    const leaseId = randomUUID();
    let admission: Admission;
    try {
      admission = await this.store.admit(required, candidates, leaseId);
    } catch (err) {
      if (err instanceof LimitsUnavailable) throw new GatewayError('limits_unavailable', `${err.message}; retry shortly.`, { cause: err });
      throw err;
    }
    if (!admission.admitted) {
      const { subject } = admission.refusal!;
      this.onRefused(route.name, subject.slice(0, subject.indexOf(':')), limitName(subject));
      throw refusalError(admission, key, route, plan, required, candidates);
    }
    const limits = new RequestLimits(this, key, required, admission, reserved, leaseId);
    if (admission.candidate >= 0 && plan[admission.candidate]!.limits)
      limits.taken.set(plan[admission.candidate]!, candidates[admission.candidate]!);
    if (hasLease(limits)) this.track(limits);
    return { plan: admission.candidate > 0 ? plan.slice(admission.candidate) : plan, limits };
  }

  private open(key: ClientKey): RequestLimits {
    return new RequestLimits(this, key, [], { admitted: true, candidate: -1, refusal: undefined, states: [] }, 0, '');
  }

  /** Settles a finished request: `answeredBy` reported `usage` (none when it failed). */
  settle(limits: RequestLimits, answeredBy: DeploymentRuntime | undefined, usage: Usage | undefined): void {
    this.active.delete(limits);
    const used = usage ? usage.promptTokens + usage.completionTokens : 0;
    const rates: Settlement['rates'][number][] = [];
    const leases: Settlement['leases'][number][] = [];
    const settleChecks = (checks: readonly LimitCheck[], billed: boolean) => {
      for (const c of checks) {
        if (c.rule.kind === 'concurrency') leases.push({ subject: c.subject, leaseId: limits.leaseId });
        else if (c.rule.kind === 'rate' && c.subject.endsWith(':tpm')) {
          const delta = (billed ? used : 0) - c.amount;
          if (delta !== 0) rates.push({ subject: c.subject, rule: c.rule, delta });
        }
      }
    };
    settleChecks(limits.required, true);
    for (const [d, checks] of limits.taken) settleChecks(checks, d === answeredBy);
    const usd = usage && answeredBy ? costUsd(answeredBy.price, usage.promptTokens, usage.completionTokens) : 0;
    const micros = Math.round(usd * 1e6);
    const spend: Settlement['spend'][number][] = [];
    if (micros > 0) for (const c of limits.required) if (c.rule.kind === 'budget') spend.push({ subject: c.subject, rule: c.rule, micros });
    const now = Date.now();
    const ledger = limits.key && {
      key: limits.key.name,
      day: budgetPeriod('day', now).id,
      month: budgetPeriod('month', now).id,
      counts: { requests: 1, promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0, usdMicros: micros },
    };
    this.store.settle({ rates, leases, spend, ...(ledger ? { usage: ledger } : {}) });
  }

  /** Leases of requests still running are renewed every third of their TTL (long streams). */
  private track(limits: RequestLimits): void {
    this.active.add(limits);
    if (this.renewTimer !== undefined) return;
    this.renewTimer = setInterval(() => this.renew(), this.leaseTtlMs / 3);
    this.renewTimer.unref();
  }

  private renew(): void {
    const leases: { subject: string; leaseId: string; ttlMs: number }[] = [];
    for (const l of this.active) {
      for (const c of [...l.required, ...[...l.taken.values()].flat()]) {
        if (c.rule.kind === 'concurrency') leases.push({ subject: c.subject, leaseId: l.leaseId, ttlMs: c.rule.ttlMs });
      }
    }
    if (leases.length > 0) this.store.renew(leases);
    else {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
  }
}

/** `rpm`, `tpm`, `concurrency`, `usd_day`… from a subject (names may hold ':'; a budget's ends in its period id). */
function limitName(subject: string): string {
  const budget = /:usd:(day|month):[^:]+$/.exec(subject);
  return budget ? `usd_${budget[1]}` : subject.slice(subject.lastIndexOf(':') + 1);
}

function hasLease(limits: RequestLimits): boolean {
  return [...limits.required, ...[...limits.taken.values()].flat()].some((c) => c.rule.kind === 'concurrency');
}

/** Tokens reserved against token limits: the prompt's sure minimum plus the answer's cap (or the default). */
function reservedTokens(
  req: ClientRequest,
  keyLimits: SubjectLimits | undefined,
  routeLimits: SubjectLimits | undefined,
  plan: readonly DeploymentRuntime[],
): number {
  const counts = keyLimits?.tokens ?? routeLimits?.tokens ?? plan.some((d) => d.limits?.tokens !== undefined);
  // Counting a prompt's tokens (Anthropic's count_tokens) generates none and is free: it reserves nothing.
  if (!counts || req.operation === 'count_tokens') return 0;
  const cap = req.body.max_completion_tokens ?? req.body.max_tokens;
  const output = req.operation === 'embeddings' ? 0 : typeof cap === 'number' && cap > 0 ? cap : defaultReservedOutputTokens;
  return promptTokensAtLeast(req) + output;
}

/** The client's error for a refused admission, naming the limit and when it frees. */
function refusalError(
  admission: Admission,
  key: ClientKey | undefined,
  route: RouteRuntime,
  plan: readonly DeploymentRuntime[],
  required: readonly LimitCheck[],
  candidates: readonly (readonly LimitCheck[])[],
): GatewayError {
  const refusal = admission.refusal!;
  const headers = { ...rateLimitHeaders(admission.states), ...retryHeaders(refusal.retryAfterMs) };
  const inRequired = required.some((c) => c.subject === refusal.subject);
  if (!inRequired) {
    const at = plan.find((d, i) => candidates[i]!.some((c) => c.subject === refusal.subject));
    const what = at?.limits ? `${describeCheck(at.limits, refusal.subject)} of deployment '${at.id}'` : refusal.subject;
    return new GatewayError(
      'rate_limit_exceeded',
      `Every deployment of route '${route.name}' is at its provider quota (the soonest to free: ${what}). ${retryText(refusal.retryAfterMs)}`,
      { headers },
    );
  }
  const owner = refusal.subject.startsWith('key:') ? key?.limits : route.limits;
  const label = owner?.label ?? refusal.subject;
  const what = owner ? describeCheck(owner, refusal.subject) : refusal.subject;
  if (refusal.subject.includes(':usd:')) {
    return new GatewayError('insufficient_quota', `The ${label} has spent ${what}. ${retryText(refusal.retryAfterMs)}`, { headers });
  }
  if (!Number.isFinite(refusal.retryAfterMs)) {
    return new GatewayError(
      'rate_limit_exceeded',
      `Request too large for the ${label}: it would take more than ${what} (prompt plus max_tokens, or ${defaultReservedOutputTokens} output tokens when max_tokens is not set). Lower max_tokens or shorten the prompt.`,
      { headers: rateLimitHeaders(admission.states) },
    );
  }
  return new GatewayError('rate_limit_exceeded', `Rate limit reached for the ${label}: ${what}. ${retryText(refusal.retryAfterMs)}`, {
    headers,
  });
}

function retryText(ms: number): string {
  if (ms < 1_000) return `Retry after ${Math.max(1, Math.ceil(ms))} ms.`;
  if (ms < 120_000) return `Retry after ${Math.ceil(ms / 1_000)} s.`;
  if (ms < 2 * 3_600_000) return `Retry after ${Math.ceil(ms / 60_000)} min.`;
  return `It renews in ${Math.ceil(ms / 3_600_000)} h.`;
}
