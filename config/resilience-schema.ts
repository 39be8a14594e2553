/**
 * The config's resilience keys: a deployment's circuit breaker and passive outlier ejection, and a
 * route's timeouts, retries, stream continuation and hedging (the schemas config/schema.ts places under
 * `deployments.<id>` and `routes.<name>`). Strict like the rest: an unknown key is an error.
 */
import { z } from 'zod';
import { positiveMs } from './schema-primitives.js';

export const breakerSchema = z.strictObject({
  error_percent: z.number().min(1).max(100).default(50).describe('Open when at least this share (%) of recent attempts failed...'),
  min_requests: z.number().int().positive().default(10).describe('...and at least this many attempts were seen in the window.'),
  window_ms: positiveMs.default(10_000).describe('The rolling window the share is computed over.'),
  reset_ms: positiveMs.default(30_000).describe('Wait before one trial request; doubles after each failed trial.'),
  max_reset_ms: positiveMs.default(300_000).describe('Longest wait between trials.'),
  probe_interval_ms: z
    .number()
    .int()
    .min(0)
    .default(2_000)
    .describe(
      "While the breaker is open (or the deployment ejected): a GET on the provider's health path this often; a pass lets one trial through at once. 0: no probes, timed trials only.",
    ),
});

export const breakerDefaults = {
  error_percent: 50,
  min_requests: 10,
  window_ms: 10_000,
  reset_ms: 30_000,
  max_reset_ms: 300_000,
  probe_interval_ms: 2_000,
};

export const outlierSchema = z.strictObject({
  consecutive_failures: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe('Eject the deployment after this many failures in a row (deployment faults only).'),
  base_ejection_ms: positiveMs.default(10_000).describe('First ejection time; each repeat ejection lasts one base longer.'),
  max_ejection_ms: positiveMs.default(300_000).describe('Longest ejection.'),
});

export const outlierDefaults = { consecutive_failures: 5, base_ejection_ms: 10_000, max_ejection_ms: 300_000 };

export const timeoutsSchema = z.strictObject({
  first_token_ms: positiveMs.default(30_000).describe('Longest wait for response headers and the first token of an attempt.'),
  idle_ms: positiveMs.default(30_000).describe('Longest silence inside a stream before the attempt counts as stalled.'),
  total_ms: positiveMs.default(300_000).describe('Deadline for the whole request, across all attempts.'),
  per_try_ms: positiveMs
    .optional()
    .describe(
      "Longest one non-stream attempt may take before the next candidate is tried (Envoy's per_try_timeout), whatever its size. Streams are bounded per attempt by first_token_ms and idle_ms already. Unset: total_ms and the adaptive limit bound it.",
    ),
  adaptive: z
    .union([
      z.strictObject({
        factor: z.number().min(1.5).max(100).default(4).describe('How many times its usual time for a request this size a try may take.'),
        floor_ms: positiveMs.default(5_000).describe('No try is ended by the adaptive limit sooner than this.'),
      }),
      z.literal(false),
    ])
    .default({ factor: 4, floor_ms: 5_000 })
    .describe(
      "Ends a try that takes far longer than its deployment usually takes for a request this size (a whole non-stream answer, a stream's first token) and moves on, when another candidate can take it. false: off.",
    ),
});

export const retriesSchema = z.strictObject({
  same_deployment: z
    .number()
    .int()
    .min(0)
    .max(5)
    .default(1)
    .describe(
      'Retries on the same deployment after a connection, server or overloaded failure (and a timeout with on_timeout), before moving on.',
    ),
  budget_percent: z
    .number()
    .min(0)
    .max(100)
    .default(20)
    .describe("Retries at most this share of a deployment's recent requests (stops retry storms)."),
  backoff_ms: positiveMs.default(100).describe('Base of the full-jitter exponential backoff between retries.'),
  max_backoff_ms: positiveMs.default(2_000).describe('Cap of that backoff.'),
  on_timeout: z
    .boolean()
    .default(false)
    .describe(
      'Also retry the same deployment after a timeout (a silent upstream). Off: a timeout moves to the next candidate at once, since the same upstream is likely still stuck.',
    ),
  max_retry_after_wait_ms: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'A 429 whose Retry-After is at most this long is waited out and the same deployment retried (deadline, same_deployment and budget allowing); longer ones, and all with 0, fail over at once.',
    ),
});

export const continuationSchema = z.strictObject({
  replay: z
    .enum(['deterministic', 'always', 'never'])
    .default('deterministic')
    .describe(
      'When a broken answer may be restarted, held back and compared with what the client has (where prefill is not possible or failed): deterministic (temperature 0 or a seed), always (any request; a replay that diverges is stopped and the next candidate tried), never.',
    ),
});

export const hedgeSchema = z
  .strictObject({
    after_ms: positiveMs.optional().describe('Start the next candidate when the first token has not arrived after this many ms.'),
    after_percentile: z
      .number()
      .min(50)
      .max(99.9)
      .optional()
      .describe(
        "Start the next candidate when the first token is later than this percentile of the deployment's time to first token (estimated from its peak-EWMA; no hedge before it has one).",
      ),
  })
  .refine((h) => (h.after_ms === undefined) !== (h.after_percentile === undefined), {
    message: 'set exactly one of after_ms and after_percentile',
  })
  .describe(
    'Hedged first tokens (streams): race the next candidate against a slow first token; the first to produce a token wins, the other is cancelled. Costs extra upstream tokens; off when absent.',
  );
