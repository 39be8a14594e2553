/** The simulator kinds that speak a provider's own wire format, by kind (each in its own folder). */
import type { SimKind } from '../types.js';
import type { NativeWire } from './wire.js';

export const nativeWires: Partial<Record<SimKind, NativeWire>> = {};
