/**
 * The safe-rollout keys of a route (gateway/canary/): `canary` (targets, a fixed share or a ramp,
 * stickiness, the guard and the gate) and `shadow`. Part of config/schema.ts, kept apart for size.
 */
import { z } from 'zod';
import { duration, id } from './schema-primitives.js';

/** A limit of the guard: a number, or false to leave that comparison out. */
const guardLimit = (limit: z.ZodNumber, fallback: number, what: string) =>
  z
    .union([limit, z.literal(false)])
    .default(fallback)
    .describe(`${what}; false: not compared.`);

export const canaryGuardSchema = z
  .strictObject({
    window: duration.default('5m').describe('The sliding window canary and stable are compared over.'),
    interval: duration.default('5s').describe('How often the comparison runs (and a ramp step may advance).'),
    min_requests: z
      .number()
      .int()
      .min(10)
      .default(50)
      .describe('Requests each variant needs in the window before anything is concluded (the canary is not judged on fewer).'),
    alpha: z
      .number()
      .gt(0)
      .max(0.05)
      .default(0.001)
      .describe('False-alarm probability of each comparison per evaluation, when the canary is exactly at its limit.'),
    max_error_rate_increase: guardLimit(
      z.number().min(0).max(1),
      0.02,
      'Largest tolerated rise of the error rate over stable, as a fraction (0.02: two points)',
    ),
    max_ttft_p95_ratio: guardLimit(z.number().min(1), 1.5, "Largest tolerated p95 time to first token, as a multiple of stable's"),
    max_latency_p95_ratio: guardLimit(z.number().min(1), 1.5, "Largest tolerated p95 latency, as a multiple of stable's"),
    max_cost_ratio: guardLimit(z.number().min(1), 1.25, "Largest tolerated cost per request, as a multiple of stable's"),
  })
  .describe('Compares canary with stable and rolls the canary back to 0 % when it is significantly worse than the limits allow.');

const guardDefaults = {
  window: '5m',
  interval: '5s',
  min_requests: 50,
  alpha: 0.001,
  max_error_rate_increase: 0.02,
  max_ttft_p95_ratio: 1.5,
  max_latency_p95_ratio: 1.5,
  max_cost_ratio: 1.25,
} as const;

export const rampStepSchema = z.strictObject({
  percent: z.number().gt(0).max(100).describe('The canary share during this step.'),
  hold: duration.describe('How long the guard must hold at this step before the next one (the last step: before the ramp is complete).'),
});

export const canarySchema = z
  .strictObject({
    targets: z.array(id).min(1).describe('The new deployments the canary share goes to (ordered by the route strategy).'),
    percent: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .describe('Share of subjects sent to the canary, 0 to 100 (without a ramp; with one, its first step is the start).'),
    ramp: z
      .array(rampStepSchema)
      .min(1)
      .optional()
      .describe('Steps the share climbs through, each once the guard has held for its hold time.'),
    sticky: z
      .union([z.enum(['user', 'key', 'none']), z.string().regex(/^header:[A-Za-z0-9-]+$/, 'header:<name>, e.g. header:x-session-id')])
      .default('user')
      .describe(
        "Whose requests stay together: the body's user (else the key), the key, a header (header:<name>), or none (each request drawn anew).",
      ),
    salt: z.string().default('').describe('Changes which subjects land in the canary (a new salt reshuffles them).'),
    guard: z
      .union([canaryGuardSchema, z.literal(false)])
      .default(guardDefaults)
      .describe('The automatic rollback (on by default); false: none.'),
    gate: z
      .string()
      .min(1)
      .optional()
      .describe('An eval suite (path relative to this file) the canary must pass before it gets any traffic (`switchyard eval` format).'),
  })
  .refine((c) => (c.percent === undefined) !== (c.ramp === undefined), {
    message: 'set either percent (a fixed share) or ramp (steps), not both and not neither',
  })
  .refine((c) => c.ramp === undefined || c.ramp.every((s, i) => i === 0 || s.percent > c.ramp![i - 1]!.percent), {
    message: 'ramp steps must climb: each percent above the one before',
  })
  .describe('A sticky share of requests goes to the canary targets; their failures fall back to the stable targets, then the fallbacks.');

export const shadowSchema = z
  .strictObject({
    target: id.describe('The deployment copies go to; its answers are discarded.'),
    percent: z.number().gt(0).max(100).describe('Share of requests copied.'),
    max_in_flight: z
      .number()
      .int()
      .positive()
      .default(32)
      .describe('Copies under way at once; beyond it a copy is skipped (a slow shadow never piles up).'),
  })
  .describe(
    'Copies of live requests go to another deployment; its latency, errors and output length are compared in metrics. Costs real tokens: off unless set.',
  );
