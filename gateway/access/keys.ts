/**
 * Client API keys. Keys are indexed by their SHA-256 digest, so a lookup compares fixed-length digests
 * and never the secret itself (no length or prefix timing leak), and the plain key is not kept.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeyConfig } from '../../config/schema.js';

export interface ClientKey {
  /** The key's name from the config: safe for logs and metrics. */
  readonly name: string;
  /** Routes this key may call; null means all. */
  readonly routes: ReadonlySet<string> | null;
}

export interface KeyIndex {
  /** False when no keys are configured: the gateway is open. */
  readonly required: boolean;
  lookup(presented: string): ClientKey | undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function buildKeyIndex(keys: readonly KeyConfig[]): KeyIndex {
  const byDigest = new Map<string, { digest: Buffer; key: ClientKey }>();
  for (const k of keys) {
    const d = digest(k.key);
    byDigest.set(d.toString('base64'), { digest: d, key: { name: k.name, routes: k.routes ? new Set(k.routes) : null } });
  }
  return {
    required: keys.length > 0,
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
