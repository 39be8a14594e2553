/**
 * The pass-through entries of one Runtime, compiled once and remembered beside it (a Runtime is
 * immutable and swapped whole on reload, so a WeakMap keyed by it is exactly its lifetime): each
 * entry's provider, prefixes and request limits, and which keys may use which entries.
 *
 * Who may use an entry (config/passthrough-schema.ts says it to operators): a key with a
 * `passthrough` list, exactly those; a key without one, every entry unless it has a `routes` list (a
 * key restricted to some routes gets no native endpoints by accident); an open gateway (no keys), all.
 */
import type { PassthroughEntryConfig } from '../../config/passthrough-schema.js';
import type { ClientKey } from '../access/keys.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ProviderRuntime } from '../runtime/types.js';
import type { LimitCheck, LimitRule, LimitStore } from '../limits/store.js';

export interface PassthroughEntry {
  /** The provider id (`passthrough.<id>`, a key of `providers`). */
  readonly provider: ProviderRuntime;
  readonly prefixes: readonly string[];
  /** The entry's own request limits, as checks of one request; empty: none. */
  readonly checks: readonly LimitCheck[];
  /** `60 requests per minute` by subject, for 429 messages. */
  readonly describe: ReadonlyMap<string, string>;
}

export interface PassthroughTable {
  readonly entries: ReadonlyMap<string, PassthroughEntry>;
  /** Prefixes by provider id (what the path policy reads). */
  readonly prefixes: ReadonlyMap<string, readonly string[]>;
  /**
   * Where the entries' limits count: the Runtime's limiter store (Redis when configured; the Runtime
   * builds a limiter whenever an entry has limits); undefined: nothing is limited.
   */
  readonly store: LimitStore | undefined;
  /** Whether the key (undefined: the gateway is open) may use the entry. */
  mayUse(key: ClientKey | undefined, provider: string): boolean;
  /** The entries a key may use, for the 403 message. */
  allowedFor(key: ClientKey | undefined): readonly string[];
}

const compiled = new WeakMap<Runtime, PassthroughTable>();

export function passthroughTableOf(runtime: Runtime): PassthroughTable {
  let table = compiled.get(runtime);
  if (!table) {
    table = compileTable(runtime);
    compiled.set(runtime, table);
  }
  return table;
}

function rate(limit: number, periodMs: number): LimitRule & { kind: 'rate' } {
  return { kind: 'rate', limit, periodMs };
}

function entryChecks(id: string, limits: PassthroughEntryConfig['limits']): { checks: LimitCheck[]; describe: Map<string, string> } {
  const checks: LimitCheck[] = [];
  const describe = new Map<string, string>();
  if (limits?.rpm !== undefined) {
    checks.push({ subject: `passthrough:${id}:rpm`, rule: rate(limits.rpm, 60_000), amount: 1 });
    describe.set(`passthrough:${id}:rpm`, `${limits.rpm} requests per minute`);
  }
  if (limits?.rpd !== undefined) {
    checks.push({ subject: `passthrough:${id}:rpd`, rule: rate(limits.rpd, 86_400_000), amount: 1 });
    describe.set(`passthrough:${id}:rpd`, `${limits.rpd} requests per day`);
  }
  return { checks, describe };
}

export function compileTable(runtime: Runtime): PassthroughTable {
  const entries = new Map<string, PassthroughEntry>();
  for (const [id, entry] of Object.entries(runtime.config.passthrough ?? {})) {
    const provider = runtime.providers.get(id);
    // The config check refuses unknown providers; a Runtime built around it anyway just has no such entry.
    if (!provider) continue;
    entries.set(id, { provider, prefixes: entry.paths, ...entryChecks(id, entry.limits) });
  }
  const byKey = new Map<string, ReadonlySet<string>>();
  for (const k of runtime.config.keys) {
    const allowed = k.passthrough ?? (k.routes === undefined ? [...entries.keys()] : []);
    byKey.set(k.name, new Set(allowed));
  }
  const all = [...entries.keys()];
  return {
    entries,
    store: runtime.limiter?.store,
    prefixes: new Map([...entries].map(([id, e]) => [id, e.prefixes])),
    mayUse(key, provider) {
      if (!entries.has(provider)) return false;
      return key === undefined || (byKey.get(key.name)?.has(provider) ?? false);
    },
    allowedFor(key) {
      return key === undefined ? all : all.filter((id) => byKey.get(key.name)?.has(id));
    },
  };
}
