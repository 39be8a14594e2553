/**
 * OpenAI's `encoding_format: "base64"` embeddings are the vector as little-endian float32 bytes,
 * base64-encoded. openai-node asks for base64 whenever its caller does not choose, and decodes with a
 * Float32Array (platform order, little-endian everywhere it runs), so every upstream that answers with
 * floats must be re-encoded exactly like this or the vectors come out silently wrong.
 */

export function floatsToBase64(values: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i]!, i * 4);
  return bytes.toString('base64');
}

/** Decodes base64 float32 (little-endian); `undefined` when the byte length is not a multiple of 4. */
export function base64ToFloats(encoded: string): number[] | undefined {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  const values = new Array<number>(bytes.length / 4);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * 4);
  return values;
}

/** Every element is a finite number: the only shape that can be encoded. */
export function isFloatArray(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (const v of value) if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  return true;
}
