import { describe, expect, it } from 'vitest';
import { base64ToFloats, floatsToBase64, isFloatArray } from '../../../adapters/shared/float32-base64.js';

describe('float32 base64', () => {
  it('encodes little-endian float32 exactly as openai-node decodes it', () => {
    const floats = [0.5, -1.25, 3.0517578125e-5, 0];
    const encoded = floatsToBase64(floats);
    const bytes = Buffer.from(encoded, 'base64');
    // openai-node: new Float32Array(bytes.buffer) on a little-endian machine.
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toEqual(floats);
    expect(bytes.readUInt32LE(0)).toBe(0x3f000000); // 0.5, least significant byte first
  });

  it('round-trips through float32 precision', () => {
    const floats = [0.1, 0.2, -0.3];
    expect(base64ToFloats(floatsToBase64(floats))).toEqual(floats.map((f) => Math.fround(f)));
  });

  it('rejects a byte length that is not a multiple of four', () => {
    expect(base64ToFloats(Buffer.from([1, 2, 3]).toString('base64'))).toBeUndefined();
  });

  it('isFloatArray accepts only finite numbers', () => {
    expect(isFloatArray([1, 2.5])).toBe(true);
    expect(isFloatArray([1, '2'])).toBe(false);
    expect(isFloatArray('AAAA')).toBe(false);
  });
});
