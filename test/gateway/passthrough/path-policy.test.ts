/** The pass-through path policy: segment-wise prefixes, and every way a target could mean another path or host, refused. */
import { describe, expect, it } from 'vitest';
import { checkPassthroughTarget, underPrefix } from '../../../gateway/passthrough/path-policy.js';

const prefixes = new Map([
  ['openai', ['/v1/files', '/v1/realtime']],
  ['gpu', ['/tokenize']],
]);

const check = (url: string) => checkPassthroughTarget(url, prefixes);

describe('checkPassthroughTarget', () => {
  it('forwards paths at and below a prefix, with the query as written', () => {
    expect(check('/passthrough/openai/v1/files')).toEqual({ ok: true, provider: 'openai', path: '/v1/files', query: '' });
    expect(check('/passthrough/openai/v1/files/file-abc/content')).toMatchObject({ ok: true, path: '/v1/files/file-abc/content' });
    expect(check('/passthrough/openai/v1/realtime?model=gpt-realtime')).toEqual({
      ok: true,
      provider: 'openai',
      path: '/v1/realtime',
      query: 'model=gpt-realtime',
    });
    expect(check('/passthrough/gpu/tokenize')).toMatchObject({ ok: true, provider: 'gpu' });
  });

  it('matches prefixes segment by segment: /v1/files does not open /v1/filesx or /v1', () => {
    for (const url of ['/passthrough/openai/v1/filesx', '/passthrough/openai/v1', '/passthrough/openai/v1/batches', '/passthrough/openai/'])
      expect(check(url)).toMatchObject({ ok: false, reason: expect.stringMatching(/not_allowed|malformed/) });
    const refused = check('/passthrough/openai/v1/filesx');
    expect(refused).toMatchObject({ ok: false, status: 404, reason: 'not_allowed', provider: 'openai' });
    if (!refused.ok) expect(refused.message).toContain('Allowed under /passthrough/openai: /v1/files, /v1/realtime');
  });

  it('answers 404 naming the configured entries for a provider that has none', () => {
    const refused = check('/passthrough/anthropic/v1/files');
    expect(refused).toMatchObject({ ok: false, status: 404, reason: 'unknown_provider', provider: undefined });
    if (!refused.ok) expect(refused.message).toContain('/passthrough/openai/, /passthrough/gpu/');
  });

  it.each([
    ['an absolute-form target', 'http://127.0.0.1:9/passthrough/openai/v1/files'],
    ['a scheme-relative path', '//127.0.0.1:9/passthrough/openai/v1/files'],
    ['a host after the provider', '/passthrough/openai//127.0.0.1:9/v1/files'],
    ['a URL after the provider', '/passthrough/openai/http://127.0.0.1:9/v1/files'],
    ['..', '/passthrough/openai/v1/files/../../admin'],
    ['.', '/passthrough/openai/v1/files/./x'],
    ['%2e%2e', '/passthrough/openai/v1/files/%2e%2e/%2E%2E/admin'],
    ['.%2e', '/passthrough/openai/v1/files/.%2e/x'],
    ['an encoded slash', '/passthrough/openai/v1/files%2F..%2Fadmin'],
    ['an encoded slash, lower case', '/passthrough/openai/v1/files%2fx'],
    ['an encoded backslash', '/passthrough/openai/v1/files/%5C..%5cx'],
    ['a backslash', '/passthrough/openai/v1/files\\..\\x'],
    ['an escaped percent (double encoding)', '/passthrough/openai/v1/files/%252e%252e'],
    ['NUL', '/passthrough/openai/v1/files/a%00b'],
    ['a raw control character', '/passthrough/openai/v1/files/a\u0001b'],
    ['a malformed escape', '/passthrough/openai/v1/files/%zz'],
    ['an escape that is not UTF-8', '/passthrough/openai/v1/files/%ff'],
    ['an empty segment', '/passthrough/openai/v1//files'],
    ['a trailing slash', '/passthrough/openai/v1/files/'],
    ['a CR in the query', '/passthrough/openai/v1/files?a=%0d%0aHost:evil'],
    ['a fragment', '/passthrough/openai/v1/files#x'],
    ['an encoded provider', '/passthrough/open%61i/v1/files'],
  ])('refuses %s', (_what, url) => {
    const decision = check(url);
    expect(decision.ok).toBe(false);
    if (!decision.ok) expect([400, 404]).toContain(decision.status);
  });

  it('says what is allowed when it refuses a malformed path', () => {
    const refused = check('/passthrough/openai/v1/files/%2e%2e/x');
    expect(refused).toMatchObject({ ok: false, status: 400, reason: 'malformed' });
    if (!refused.ok) expect(refused.message).toMatch(/'\.' or '\.\.' segment.*Allowed under \/passthrough\/openai: \/v1\/files/);
  });

  it('keeps escapes that decode to ordinary characters, as written', () => {
    expect(check('/passthrough/openai/v1/files/file%2Dabc')).toMatchObject({ ok: true, path: '/v1/files/file%2Dabc' });
  });
});

describe('underPrefix', () => {
  it('compares whole segments', () => {
    expect(underPrefix(['v1', 'files', 'x'], ['v1', 'files'])).toBe(true);
    expect(underPrefix(['v1', 'files'], ['v1', 'files'])).toBe(true);
    expect(underPrefix(['v1', 'filesx'], ['v1', 'files'])).toBe(false);
    expect(underPrefix(['v1'], ['v1', 'files'])).toBe(false);
  });
});
