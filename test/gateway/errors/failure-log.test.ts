/** The one error a client gets when every candidate failed. */
import { describe, expect, it } from 'vitest';
import { FailureLog } from '../../../gateway/errors/failure-log.js';
import { UpstreamError, upstreamErrorOf } from '../../../adapters/upstream-error.js';

const same = (t: string) => t;

describe('FailureLog', () => {
  it('answers 429 with the soonest Retry-After when every deployment was rate-limited', () => {
    const log = new FailureLog();
    log.add('a', new UpstreamError(upstreamErrorOf('rate_limited', 'slow down', { retryAfterMs: 9000 })));
    log.add('b', new UpstreamError(upstreamErrorOf('rate_limited', 'slow down', { retryAfterMs: 2500 })));
    const err = log.toGatewayError('chat', same);
    expect(err.status).toBe(429);
    expect(err.headers).toEqual({ 'retry-after': '3', 'retry-after-ms': '2500' });
    expect(err.message).toContain("'a'");
  });

  it('prefers an answer from the upstream over an unreachable one', () => {
    const log = new FailureLog();
    log.add('a', new UpstreamError(upstreamErrorOf('server', 'model crashed', { status: 500 })));
    log.add('b', new UpstreamError(upstreamErrorOf('connection', 'connection refused')));
    const err = log.toGatewayError('chat', same);
    expect(err.status).toBe(502);
    expect(err.message).toContain("deployment 'a'");
    expect(err.message).toContain('model crashed');
    expect(err.message).toContain('2 attempts failed');
  });

  it('maps each kind to its status', () => {
    const cases: Array<[Parameters<typeof upstreamErrorOf>[0], number]> = [
      ['overloaded', 503],
      ['timeout', 504],
      ['connection', 502],
      ['server', 502],
      ['auth', 502],
      ['not_found', 502],
    ];
    for (const [kind, status] of cases) {
      const log = new FailureLog();
      log.add('d', new UpstreamError(upstreamErrorOf(kind, 'x')));
      expect(log.toGatewayError('r', same).status, kind).toBe(status);
    }
  });

  it('redacts secrets from upstream messages', () => {
    const log = new FailureLog();
    log.add('d', new UpstreamError(upstreamErrorOf('server', 'bad key sk-secret-value-123')));
    const err = log.toGatewayError('r', (t) => t.replaceAll('sk-secret-value-123', '[redacted]'));
    expect(err.message).not.toContain('sk-secret');
  });

  it('says no deployment could serve when nothing was tried', () => {
    expect(new FailureLog().toGatewayError('r', same).code).toBe('no_healthy_deployment');
  });
});

describe('FailureLog.summary (the x-switchyard-failed header)', () => {
  const fail = (kind: 'timeout' | 'server') => new UpstreamError(upstreamErrorOf(kind, 'x'));

  it('is empty when nothing failed, and lists deployment:kind pairs in order', () => {
    const log = new FailureLog();
    expect(log.summary()).toBe('');
    log.add('a@cloud', fail('timeout'));
    log.addHandled('b@gpu', 'server');
    expect(log.summary()).toBe('a@cloud:timeout,b@gpu:server');
  });

  it('stays within its length, counting the pairs that do not fit', () => {
    const log = new FailureLog();
    for (let i = 0; i < 40; i += 1) log.add(`deployment-${i}@somewhere`, fail('server'));
    const summary = log.summary(200);
    expect(summary.length).toBeLessThanOrEqual(200);
    const listed = summary.split(',').filter((p) => p.endsWith(':server')).length;
    expect(summary.endsWith(`,+${40 - listed} more`)).toBe(true);
    expect(listed).toBeGreaterThan(0);
    expect(log.summary(5)).toBe('+40 more');
  });

  it('does not count a handled failure among the errors the client gets', () => {
    const log = new FailureLog();
    log.addHandled('a', 'server');
    log.add('b', new UpstreamError(upstreamErrorOf('server', 'model crashed', { status: 500 })));
    const err = log.toGatewayError('chat', same);
    expect(err.message).toContain("deployment 'b'");
    expect(err.message).not.toContain('attempts failed');
  });
});

describe('FailureLog: deployments passed over without a call', () => {
  it('are listed but not counted as failed attempts', () => {
    const log = new FailureLog();
    const tooLong = () => new UpstreamError(upstreamErrorOf('context_length', 'the prompt is too long'));
    log.add('small-a', tooLong(), false);
    log.add('small-b', tooLong(), false);
    log.add('big', tooLong());
    expect(log.summary()).toBe('small-a:context_length,small-b:context_length,big:context_length');
    expect(log.toGatewayError('chat', same).message).not.toContain('attempts failed');
  });
});
