/**
 * The attempt chain, outermost first. Each wrapper's `stage` fixes its place, and createAttemptRunner
 * refuses a chain out of order, so features that land later slot in where they belong:
 *   retry (10) -> deadline (20) -> cooldown (30) -> breaker-permit (40) -> [upstream limiter, 50]
 *   -> measure (60) -> the attempt
 * Retries sit outside the breaker on purpose: every retry needs its own permit, so a breaker that opens
 * while a request is backing off stops its retries too. The upstream limiter (per-deployment
 * concurrency and quota) takes stage 50, inside the permit and outside measurement.
 */
import type { AttemptWrapper } from '../attempt-runner.js';
import { retry } from './retry.js';
import { deadline } from './deadline.js';
import { cooldown } from './cooldown.js';
import { breakerPermit } from './breaker-permit.js';
import { measure } from './measure.js';
import { limiterSlot } from './limiter-slot.js';

/** `limiterSlot`: some deployment has its own limits (else the slot is left out: nothing to take). */
export function standardWrappers(options: { limiterSlot?: boolean } = {}): AttemptWrapper[] {
  const slot = options.limiterSlot ? [limiterSlot()] : [];
  return [retry(), deadline(), cooldown(), breakerPermit(), ...slot, measure()];
}

export { deadlineError } from './deadline.js';
