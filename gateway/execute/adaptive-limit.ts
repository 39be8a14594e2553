/**
 * The adaptive per-try limit (`routes.<name>.timeouts.adaptive`, on by default): a try that takes far
 * longer than its deployment usually takes for a request of its size is ended, and the next candidate
 * tried, but only when another candidate could take the try. A non-stream answer is timed whole (its
 * upstream sends nothing until it is done); a stream is timed to its first token.
 *
 * Why this mechanism: a fixed per-try limit either cuts long legitimate answers or is too long to help;
 * answering non-stream requests from upstream streams costs CPU per chunk on every request and loses
 * fields only non-stream bodies carry. The deployment's own speed scales with the request instead.
 *
 * Work is measured in token equivalents: the output tokens (for a whole answer), plus the prompt at
 * one equivalent per 256 bytes of request body (prefill runs far faster than decoding), plus a fixed
 * overhead of 16. The deployment's speed is the peak-EWMA of ms per unit of work over its successful
 * tries (gateway/health/stats.ts), so a deployment that turns slow widens its own limit at once. The
 * limit is `factor` x speed x work, never under `floor_ms`. A non-stream request without max_tokens is
 * budgeted twice the deployment's recent output size (at least 256 tokens).
 *
 * Nothing is cut on a guess: a deployment never measured borrows the slowest speed measured on the
 * route, and where nothing has been measured yet the check looks again after another floor. A try with
 * nowhere to move to (every other candidate out) runs on to the hard limits (first_token_ms, total_ms).
 * Nothing runs on the request path but one timer on the shared coarse clock; the arithmetic happens
 * only once a try has already taken `floor_ms`.
 */
import type { ClientRequest } from '../../adapters/types.js';
import type { DeploymentRuntime, RouteRuntime, Timeouts } from '../runtime/types.js';
import type { StatsSnapshot } from '../health/stats.js';
import { SlowTry } from './abort-reasons.js';
import type { AttemptControl } from './attempt-control.js';

type AdaptivePolicy = NonNullable<Timeouts['adaptive']>;

const overheadWork = 16;
const promptBytesPerWork = 256;
const minOutputBudget = 256;
const outputBudgetMargin = 2;

/** The work of a request's prompt: what a first token costs, and part of what a whole answer costs. */
export function promptWork(req: ClientRequest): number {
  return req.raw.length / promptBytesPerWork + overheadWork;
}

/** The output tokens a non-stream answer may take: the request's own cap, or twice the recent size. */
function outputBudget(req: ClientRequest, recentOutput: number | undefined): number {
  if (req.operation === 'embeddings') return 0;
  const body = req.body as { max_completion_tokens?: unknown; max_tokens?: unknown };
  const cap = body.max_completion_tokens ?? body.max_tokens;
  if (typeof cap === 'number' && cap > 0) return cap;
  return Math.max(minOutputBudget, outputBudgetMargin * (recentOutput ?? 0));
}

type Speed = (s: StatsSnapshot) => number | undefined;
const answerSpeed: Speed = (s) => s.answerMsPerWork;
const firstTokenSpeed: Speed = (s) => s.firstTokenMsPerWork;

/** The deployment's own speed, or the slowest measured on its route; undefined: nothing measured yet. */
function speedFor(deployment: DeploymentRuntime, route: RouteRuntime, speed: Speed, now: number): number | undefined {
  const own = speed(deployment.health.stats.snapshot(now));
  if (own !== undefined) return own;
  let slowest: number | undefined;
  for (const d of [...route.targets, ...route.fallbacks]) {
    const s = speed(d.health.stats.snapshot(now));
    if (s !== undefined && (slowest === undefined || s > slowest)) slowest = s;
  }
  return slowest;
}

export interface AdaptiveTry {
  readonly control: AttemptControl;
  readonly deployment: DeploymentRuntime;
  readonly route: RouteRuntime;
  readonly req: ClientRequest;
  /** The candidates after this one (the runner's queue): with none that could take a try, no cut. */
  readonly alternatives: readonly DeploymentRuntime[] | undefined;
  readonly startedAt: number;
  /** `answer`: a whole non-stream answer; `first-token`: a stream's first token. */
  readonly until: 'answer' | 'first-token';
}

/** Arms the adaptive check for one try, when the route has it and the try has somewhere to move to. */
export function armAdaptiveLimit(t: AdaptiveTry): void {
  const policy = t.route.timeouts.adaptive;
  if (policy === undefined || t.alternatives === undefined || t.alternatives.length === 0) return;
  t.control.armCheck(t.startedAt + policy.floorMs, (now) => adaptiveVerdict(t, policy, now));
}

/**
 * The check itself, at `now`: the try's reason to end (SlowTry), or when to look again (the limit's
 * end, or another floor when nothing is measured yet or no other candidate could take the try).
 */
export function adaptiveVerdict(t: Omit<AdaptiveTry, 'control'>, policy: AdaptivePolicy, now: number): number | SlowTry {
  const { floorMs, factor } = policy;
  const msPerWork = speedFor(t.deployment, t.route, t.until === 'answer' ? answerSpeed : firstTokenSpeed, now);
  if (msPerWork === undefined) return now + floorMs;
  let work = promptWork(t.req);
  if (t.until === 'answer') work += outputBudget(t.req, t.deployment.health.stats.snapshot(now).outputTokens);
  const limitMs = Math.max(floorMs, factor * msPerWork * work);
  if (now - t.startedAt < limitMs) return t.startedAt + limitMs;
  if (!(t.alternatives ?? []).some((d) => d.health.available(now, true))) return now + floorMs;
  return new SlowTry(Math.round(limitMs), t.until);
}
