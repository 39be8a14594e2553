/** The small value types every part of the config schema uses: ids, durations, sizes. */
import { z } from 'zod';
import { durationPattern } from './duration.js';

export const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, 'use letters, digits and . _ : @ / - (starting with a letter or digit)');

export const positiveMs = z.number().int().positive();

/** `4mb`, `512kb`, `1048576` (bytes). */
export const byteSize = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)$/i, 'a size such as 512kb or 4mb'),
]);

/** `500ms`, `30s`, `10m`, `2h`, or a number of milliseconds (config/duration.ts parses it). */
export const duration = z.union([z.number().int().min(0), z.string().regex(durationPattern, 'a duration such as 500ms, 30s, 10m or 2h')]);
