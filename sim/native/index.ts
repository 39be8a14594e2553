/** The simulator kinds that speak a provider's own wire format, by kind (each in its own folder). */
import type { SimKind } from '../types.js';
import type { NativeWire } from './wire.js';
import { anthropicWire } from './anthropic/index.js';
import { azureWire } from './azure/index.js';
import { bedrockWire } from './bedrock/index.js';
import { geminiWire } from './gemini/index.js';

export const nativeWires: Partial<Record<SimKind, NativeWire>> = {
  anthropic: anthropicWire,
  azure: azureWire,
  bedrock: bedrockWire,
  gemini: geminiWire,
};
