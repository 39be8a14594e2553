/**
 * The limit store a gateway process uses, from the config's `redis` (or `REDIS_URL` when the config
 * does not mention Redis): shared in Redis behind the resilient wrapper (a local share, or 503, while
 * Redis is out), or in memory for a single replica. One store per process: it outlives config
 * reloads, so counters survive them. Changing `redis` takes a restart.
 */
import type { Config } from '../../config/schema.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import { ResilientStore } from './resilient-store.js';
import type { LimitStore, StoreMode } from './store.js';

export interface RedisSettings {
  readonly url: string;
  readonly unavailable: 'fail_open' | 'fail_closed';
  readonly replicas: number | undefined;
  readonly commandTimeoutMs: number;
  readonly keyPrefix: string;
}

/** The config's `redis`, normalised; undefined when limits count in memory. */
export function redisSettings(config: Config, env: Readonly<Record<string, string | undefined>>): RedisSettings | undefined {
  const r = config.redis ?? env['REDIS_URL'] ?? '';
  const object = typeof r === 'string' ? { url: r } : r;
  if (object.url === '') return undefined;
  return {
    url: object.url,
    unavailable: typeof r === 'string' ? 'fail_open' : r.unavailable,
    replicas: typeof r === 'string' ? undefined : r.replicas,
    commandTimeoutMs: typeof r === 'string' ? 100 : r.command_timeout_ms,
    keyPrefix: typeof r === 'string' ? 'switchyard:' : r.key_prefix,
  };
}

export interface StoreEvents {
  onModeChange?: (mode: StoreMode) => void;
  onError?: (error: Error) => void;
}

export function openLimitStore(settings: RedisSettings | undefined, events: StoreEvents = {}): LimitStore {
  if (settings === undefined) {
    events.onModeChange?.('memory');
    return new MemoryStore();
  }
  const redis = new RedisStore({
    url: settings.url,
    keyPrefix: settings.keyPrefix,
    commandTimeout: settings.commandTimeoutMs,
    ...(events.onError ? { onError: events.onError } : {}),
  });
  const store = new ResilientStore(redis, {
    unavailable: settings.unavailable,
    ...(settings.replicas !== undefined ? { replicas: settings.replicas } : {}),
    ...events,
  });
  events.onModeChange?.(store.mode);
  return store;
}
