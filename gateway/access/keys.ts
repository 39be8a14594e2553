/**
 * Client API keys. Keys are indexed by their SHA-256 digest, so a lookup compares fixed-length digests
 * and never the secret itself (no length or prefix timing leak), and the plain key is not kept. A key
 * may be configured by its digest alone (`key_sha256`), so a config file in git never holds a secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeyConfig } from '../../config/schema.js';
import { compileLimits, type SubjectLimits } from '../limits/policy.js';

export interface ClientKey {
  /** The key's name from the config: safe for logs and metrics. */
  readonly name: string;
  /** Routes this key may call; null means all. */
  readonly routes: ReadonlySet<string> | null;
  /** The key's limits and budget; undefined: none. */
  readonly limits: SubjectLimits | undefined;
}

export interface KeyIndex {
  /** False when no keys are configured: the gateway is open. */
  readonly required: boolean;
  /** Every configured key, in config order (GET /admin/keys). */
  readonly all: readonly ClientKey[];
  lookup(presented: string): ClientKey | undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function buildKeyIndex(keys: readonly KeyConfig[], leaseTtlMs?: number): KeyIndex {
  const byDigest = new Map<string, { digest: Buffer; key: ClientKey }>();
  for (const k of keys) {
    // A key from the environment is hashed here; key_sha256 is already its digest (the config never held the key).
    const d = k.key !== undefined ? digest(k.key) : Buffer.from(k.key_sha256!, 'hex');
    byDigest.set(d.toString('base64'), {
      digest: d,
      key: {
        name: k.name,
        routes: k.routes ? new Set(k.routes) : null,
        limits: compileLimits('key', k.name, k.limits, k.budget, leaseTtlMs),
      },
    });
  }
  return {
    required: keys.length > 0,
    all: [...byDigest.values()].map((e) => e.key),
    lookup(presented) {
      const d = digest(presented);
      const hit = byDigest.get(d.toString('base64'));
      // The map lookup is keyed by a digest already; the compare makes the equality explicit and constant-time.
      return hit && timingSafeEqual(hit.digest, d) ? hit.key : undefined;
    },
  };
}

/** Whether the key (undefined: the gateway is open) may call the route. */
export function mayUseRoute(key: ClientKey | undefined, route: string): boolean {
  return key?.routes == null || key.routes.has(route);
}

/** Constant-time equality of two secrets of any lengths (used for the admin key). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
