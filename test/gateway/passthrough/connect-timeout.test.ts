/**
 * The pass-through's connect timeout (routes/passthrough-proxy.ts, armConnectTimeout): a new upstream
 * connection still connecting after the provider's connect_timeout_ms fails the request with the code
 * failover treats as unreachable; an open or reused connection is left alone. Fake timers and a
 * stand-in socket: no network can be made to leave a loopback connect hanging.
 */
import { EventEmitter } from 'node:events';
import type { ClientRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectTimeoutCode, isUnreachable } from '../../../gateway/passthrough/failover.js';
import { armConnectTimeout } from '../../../routes/passthrough-proxy.js';

class StandInSocket extends EventEmitter {
  constructor(public connecting: boolean) {
    super();
  }
}

class StandInRequest extends EventEmitter {
  socket: StandInSocket | null = null;
  destroyedWith: Error | undefined;
  destroy(err: Error) {
    this.destroyedWith = err;
  }
}

const arm = (req: StandInRequest, ms: number) => armConnectTimeout(req as unknown as ClientRequest, ms);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('armConnectTimeout', () => {
  it('fails a connect still under way after the timeout, with an error failover counts as unreachable', () => {
    const req = new StandInRequest();
    arm(req, 300);
    req.socket = new StandInSocket(true);
    req.emit('socket', req.socket);
    vi.advanceTimersByTime(299);
    expect(req.destroyedWith).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect((req.destroyedWith as NodeJS.ErrnoException).code).toBe(connectTimeoutCode);
    expect(isUnreachable(req.destroyedWith!)).toBe(true);
  });

  it('leaves a connection alone once it connected', () => {
    const req = new StandInRequest();
    req.socket = new StandInSocket(true);
    arm(req, 300);
    req.socket.emit('connect');
    vi.advanceTimersByTime(10_000);
    expect(req.destroyedWith).toBeUndefined();
  });

  it('arms nothing on a reused keep-alive connection (already open)', () => {
    const req = new StandInRequest();
    req.socket = new StandInSocket(false);
    arm(req, 300);
    vi.advanceTimersByTime(10_000);
    expect(req.destroyedWith).toBeUndefined();
  });
});
