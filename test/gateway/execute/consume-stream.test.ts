/** consumeStream: reading an upstream stream until the answer is complete, then releasing the body. */
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { consumeStream } from '../../../gateway/execute/upstream-call.js';

describe('consumeStream', () => {
  it('stops at the complete answer and lets the rest drain to its end instead of destroying the body', async () => {
    const body = new PassThrough();
    body.write('a');
    body.write('[DONE]');
    let seen = '';
    await consumeStream(body, async (bytes) => {
      seen += bytes.toString();
      return seen.endsWith('[DONE]');
    });
    expect(seen).toBe('a[DONE]');
    body.end('trailing');
    await once(body, 'end');
    expect(body.readableEnded).toBe(true);
    expect(body.errored).toBeNull();
  });

  it('destroys a body that does not end within the drain grace after the answer', async () => {
    const body = new PassThrough();
    body.write('[DONE]');
    await consumeStream(body, async () => true, 30);
    await once(body, 'close');
    expect(body.readableEnded).toBe(false);
    expect(body.destroyed).toBe(true);
  });

  it('destroys the body at once and rethrows when consuming fails', async () => {
    const body = new PassThrough();
    body.write('garbage');
    await expect(
      consumeStream(body, async () => {
        throw new Error('malformed stream');
      }),
    ).rejects.toThrow('malformed stream');
    expect(body.destroyed).toBe(true);
  });

  it('returns when the body ends without a complete answer (the caller decides what that means)', async () => {
    const body = new PassThrough();
    body.end('partial');
    const seen: string[] = [];
    await consumeStream(body, async (bytes) => {
      seen.push(bytes.toString());
      return false;
    });
    expect(seen).toEqual(['partial']);
    expect(body.readableEnded).toBe(true);
  });
});
