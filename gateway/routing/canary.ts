/**
 * Canary assignment (`routes.<name>.canary`): which variant, stable or canary, serves a request. It is a
 * hash of (route, subject, salt) into 10 000 buckets, so the same subject lands on the same variant on
 * every request and every replica, with no shared state; a subject is the body's `user` (else the key),
 * the key, or a header, as `sticky` says. A request with no subject (sticky none, or nothing to stick
 * to) is drawn at random. An operator may force a variant for one request: `x-switchyard-variant:
 * canary|stable` with the admin key in `x-switchyard-admin-key` (compared only when the header is there).
 * The canary variant plans the canary targets first, then the stable targets, then the fallbacks, so a
 * failing canary costs a client nothing it would not have lost anyway.
 */
import type { ClientKey } from '../access/keys.js';
import { secretsEqual } from '../access/keys.js';
import type { CanaryRuntime, RouteRuntime } from '../runtime/types.js';

export type Variant = 'stable' | 'canary';

const bucketCount = 10_000;

/** 32-bit FNV-1a: fast, well spread on short strings, the same on every replica. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The subject's bucket on this route, 0..9999. */
export function bucketOf(route: string, subject: string, salt: string): number {
  return fnv1a(`${route}\u0000${salt}\u0000${subject}`) % bucketCount;
}

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

function subjectOf(
  canary: CanaryRuntime,
  body: Readonly<Record<string, unknown>>,
  key: ClientKey | undefined,
  headers: Headers,
): string | undefined {
  const user = typeof body.user === 'string' && body.user !== '' ? body.user : undefined;
  switch (canary.sticky) {
    case 'user':
      return user !== undefined ? `u:${user}` : key !== undefined ? `k:${key.name}` : undefined;
    case 'key':
      return key !== undefined ? `k:${key.name}` : user !== undefined ? `u:${user}` : undefined;
    case 'none':
      return undefined;
    default: {
      const value = headers[canary.header!];
      return typeof value === 'string' && value !== '' ? `h:${value}` : undefined;
    }
  }
}

/** The variant of one request. */
export function assignVariant(
  route: RouteRuntime,
  body: Readonly<Record<string, unknown>>,
  key: ClientKey | undefined,
  headers: Headers,
  adminKey: string | undefined,
  random: () => number,
): Variant {
  const canary = route.canary;
  if (canary === undefined) return 'stable';
  const forced = headers['x-switchyard-variant'];
  if (forced !== undefined && adminKey) {
    const presented = headers['x-switchyard-admin-key'];
    if (typeof presented === 'string' && secretsEqual(presented, adminKey) && (forced === 'canary' || forced === 'stable')) return forced;
  }
  const buckets = canary.control.buckets;
  if (buckets <= 0) return 'stable';
  if (buckets >= bucketCount) return 'canary';
  const subject = subjectOf(canary, body, key, headers);
  const bucket = subject === undefined ? Math.floor(random() * bucketCount) : bucketOf(route.name, subject, canary.salt);
  return bucket < buckets ? 'canary' : 'stable';
}
