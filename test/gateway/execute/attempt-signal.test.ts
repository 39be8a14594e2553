/** AttemptSignal: the per-attempt cancel signal handed to undici in place of an AbortSignal. */
import { describe, expect, it } from 'vitest';
import { AttemptSignal } from '../../../gateway/execute/attempt-control.js';
import { DeadlineExceeded, StreamIdle } from '../../../gateway/execute/abort-reasons.js';

describe('AttemptSignal', () => {
  it('emits abort once; the first reason wins', () => {
    const signal = new AttemptSignal();
    let heard = 0;
    signal.once('abort', () => (heard += 1));
    signal.abort(new StreamIdle(300));
    signal.abort(new DeadlineExceeded(1000));
    expect(heard).toBe(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(StreamIdle);
  });
});
