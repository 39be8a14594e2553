/** Client key lookup by digest, and the secret redactor. */
import { describe, expect, it } from 'vitest';
import { buildKeyIndex, secretsEqual } from '../../gateway/access/keys.js';
import { SecretRedactor } from '../../gateway/errors/secret-redactor.js';

describe('key index', () => {
  const index = buildKeyIndex([
    { name: 'search', key: 'sk-search-0123456789', routes: ['chat'] },
    { name: 'batch', key: 'sk-batch-0123456789' },
  ]);

  it('finds keys by their value and knows their routes', () => {
    expect(index.required).toBe(true);
    expect(index.lookup('sk-search-0123456789')).toEqual({ name: 'search', routes: new Set(['chat']) });
    expect(index.lookup('sk-batch-0123456789')?.routes).toBeNull();
  });

  it('rejects near misses, prefixes and other lengths', () => {
    for (const guess of ['sk-search-012345678', 'sk-search-01234567890', 'SK-SEARCH-0123456789', '', 'sk-search']) {
      expect(index.lookup(guess)).toBeUndefined();
    }
  });

  it('is open when no keys are configured', () => {
    expect(buildKeyIndex([]).required).toBe(false);
  });

  it('compares secrets of different lengths without throwing', () => {
    expect(secretsEqual('a-long-admin-key', 'a-long-admin-key')).toBe(true);
    expect(secretsEqual('a-long-admin-key', 'short')).toBe(false);
  });
});

describe('SecretRedactor', () => {
  it('replaces every registered secret, longest first, and leaves short values alone', () => {
    const r = new SecretRedactor(['sk-abc-12345678', 'sk-abc-12345678-extended', undefined, 'short']);
    expect(r.redact('a sk-abc-12345678-extended b sk-abc-12345678 c short')).toBe('a [redacted] b [redacted] c short');
  });
});
