/**
 * gateway/passthrough/failover.ts: which requests may be sent to another endpoint, which errors mean
 * the endpoint was not reached, and the order endpoints are tried in (each once, healthy first).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEndpointPool, type EndpointPool } from '../../../upstream/endpoint-pool.js';
import { currentEndpoint, firstAttempt, isBodyless, isUnreachable, nextAttempt } from '../../../gateway/passthrough/failover.js';
import { seededRandom } from '../../support/seeded-random.js';

const pools: EndpointPool[] = [];
function pool(urls: string[]): EndpointPool {
  const p = createEndpointPool(urls, { connectTimeoutMs: 1000 });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const errorWith = (code: string): Error => Object.assign(new Error(code), { code });

describe('isBodyless', () => {
  it('is true without Content-Length and Transfer-Encoding, or with Content-Length 0', () => {
    expect(isBodyless({})).toBe(true);
    expect(isBodyless({ 'content-length': '0' })).toBe(true);
  });

  it('is false for a body of any size, or a chunked one', () => {
    expect(isBodyless({ 'content-length': '1' })).toBe(false);
    expect(isBodyless({ 'transfer-encoding': 'chunked' })).toBe(false);
    expect(isBodyless({ 'content-length': '0', 'transfer-encoding': 'chunked' })).toBe(false);
  });
});

describe('isUnreachable', () => {
  it('names refused, reset, DNS and connect-timeout failures', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNECTTIMEOUT'])
      expect(isUnreachable(errorWith(code))).toBe(true);
  });

  it('does not name other failures', () => {
    expect(isUnreachable(new Error('no code'))).toBe(false);
    expect(isUnreachable(errorWith('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(false);
  });
});

describe('nextAttempt', () => {
  it('tries every endpoint once, then none, whatever the random draws', () => {
    const p = pool(['http://a.invalid', 'http://b.invalid', 'http://c.invalid']);
    const random = seededRandom(7);
    const attempts = firstAttempt(p, random, true);
    while (nextAttempt(attempts, random)) expect(currentEndpoint(attempts)).toBe(attempts.tried.at(-1));
    expect(attempts.tried).toHaveLength(3);
    expect(new Set(attempts.tried.map((e) => e.url)).size).toBe(3);
    expect(nextAttempt(attempts, random)).toBeUndefined();
  });

  it('prefers endpoints that pass their health checks', () => {
    const p = pool(['http://a.invalid', 'http://b.invalid', 'http://c.invalid']);
    p.setHealthy(p.endpoints[2]!, false);
    const attempts = firstAttempt(p, () => 0, true);
    expect(currentEndpoint(attempts).url).toBe('http://a.invalid');
    expect(nextAttempt(attempts, () => 0)?.url).toBe('http://b.invalid');
    expect(nextAttempt(attempts, () => 0)?.url).toBe('http://c.invalid');
  });

  it('never fails over a request that may not be replayed, nor a single-endpoint provider', () => {
    expect(
      nextAttempt(
        firstAttempt(pool(['http://a.invalid', 'http://b.invalid']), () => 0, false),
        () => 0,
      ),
    ).toBeUndefined();
    expect(
      nextAttempt(
        firstAttempt(pool(['http://a.invalid']), () => 0, true),
        () => 0,
      ),
    ).toBeUndefined();
  });
});
