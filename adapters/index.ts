/**
 * The only list of provider types: per type, its adapter and its settings schema. The config schema
 * builds one variant of `providers.<id>` per entry (config/schema.ts), the runtime looks adapters up
 * here, and the conformance suite runs over every entry; nothing in gateway/ names a provider.
 * A new type is one more entry (its folder exports a ProviderKind).
 */
import type { ProviderAdapter, ProviderKind } from './types.js';
import { openAICompatibleKinds } from './openai-compatible/index.js';
import { anthropicKind } from './anthropic/index.js';
import { azureKind } from './azure/index.js';
import { bedrockKind } from './bedrock/index.js';
import { geminiKind } from './gemini/index.js';
import { vertexKind } from './gemini/vertex.js';

export const providerKinds = {
  ...openAICompatibleKinds,
  anthropic: anthropicKind,
  azure: azureKind,
  bedrock: bedrockKind,
  gemini: geminiKind,
  vertex: vertexKind,
} satisfies Readonly<Record<string, ProviderKind>>;

export type ProviderType = keyof typeof providerKinds;

export const providerTypes = Object.keys(providerKinds) as readonly ProviderType[];

const kinds: Readonly<Record<string, ProviderKind>> = providerKinds;

export function providerKindOf(type: string): ProviderKind {
  const kind = Object.hasOwn(kinds, type) ? kinds[type] : undefined;
  if (!kind) throw new Error(`unknown provider type '${type}' (known: ${providerTypes.join(', ')})`);
  return kind;
}

export function adapterFor(type: string): ProviderAdapter {
  return providerKindOf(type).adapter;
}
