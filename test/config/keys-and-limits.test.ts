/** The config of keys, limits, budgets and Redis: what loads, and what is refused at its line. */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../config/loader.js';
import { redisSettings } from '../../gateway/limits/open-store.js';
import { baseConfig, errorsOf } from '../support/config-text.js';

const digest = 'a'.repeat(64);

describe('keys', () => {
  it('takes a key from the environment or only its SHA-256 digest, with limits and a budget', () => {
    const text = `${baseConfig}keys:
  - { name: env, key: "\${TEAM_KEY}", limits: { rpm: 60, tpm: 10000, rpd: 1000, max_concurrency: 4 }, budget: { usd_per_day: 5, usd_per_month: 100 } }
  - { name: hashed, key_sha256: ${digest} }
`;
    expect(errorsOf(text, { TEAM_KEY: 'sk-team-0123456789' })).toEqual([]);
  });

  it('refuses a key with both or neither of key and key_sha256, and a digest that is not 64 hex digits, at its line', () => {
    const text = `${baseConfig}keys:
  - { name: both, key: "\${TEAM_KEY}", key_sha256: ${digest} }
  - { name: neither }
  - { name: short, key_sha256: abc123 }
`;
    const errors = errorsOf(text, { TEAM_KEY: 'sk-team-0123456789' });
    expect(errors).toEqual([
      'sw.yaml:10:5: keys[0]: set exactly one of key (from the environment) and key_sha256 (its digest)',
      'sw.yaml:11:5: keys[1]: set exactly one of key (from the environment) and key_sha256 (its digest)',
      'sw.yaml:12:32: keys[2].key_sha256: "abc123": the SHA-256 digest of the key, as 64 hex digits (printf %s "$KEY" | sha256sum)',
    ]);
  });

  it('refuses an unknown limit with did-you-mean, and a limit that is not a positive integer', () => {
    const text = `${baseConfig}    limits: { rpn: 5, tpm: 0 }
`;
    const errors = errorsOf(text);
    expect(errors).toContainEqual(expect.stringMatching(/routes\.chat\.limits\.rpn: unknown key 'rpn' \(did you mean 'rpm'\?\)/));
    expect(errors).toContainEqual(expect.stringMatching(/routes\.chat\.limits\.tpm: /));
  });
});

describe('redis', () => {
  const load = (extra: string, env: Record<string, string> = {}) => {
    const r = loadConfigText(`${baseConfig}${extra}`, 'sw.yaml', env);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.config;
  };

  it('is off with an empty URL (the ${REDIS_URL:-} of a machine without Redis), or without the key and REDIS_URL', () => {
    expect(redisSettings(load('redis: ${REDIS_URL:-}\n'), {})).toBeUndefined();
    expect(redisSettings(load(''), {})).toBeUndefined();
  });

  it('takes a URL string, or an object with what to do while Redis is out; REDIS_URL when the config says nothing', () => {
    expect(redisSettings(load('redis: "${REDIS_URL:-}"\n', { REDIS_URL: 'redis://r:6379' }), {})).toEqual({
      url: 'redis://r:6379',
      unavailable: 'fail_open',
      replicas: undefined,
      commandTimeoutMs: 100,
      keyPrefix: 'switchyard:',
    });
    const object = load('redis: { url: "redis://r:6379", unavailable: fail_closed, replicas: 3, command_timeout_ms: 50 }\n');
    expect(redisSettings(object, {})).toMatchObject({ unavailable: 'fail_closed', replicas: 3, commandTimeoutMs: 50 });
    expect(redisSettings(load(''), { REDIS_URL: 'redis://env:6379' })?.url).toBe('redis://env:6379');
  });

  it('refuses a command timeout over one second: a request must never wait long for Redis', () => {
    expect(errorsOf(`${baseConfig}redis: { url: "redis://r:6379", command_timeout_ms: 5000 }\n`)).toEqual([
      expect.stringMatching(/^sw\.yaml:9:\d+: redis\.command_timeout_ms: /),
    ]);
  });
});
