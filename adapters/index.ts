/**
 * The only list of provider types: per type, its adapter and its settings schema. The config schema
 * builds one variant of `providers.<id>` per entry (config/schema.ts), the runtime looks adapters up
 * here, and the conformance suite runs over every entry; nothing in gateway/ names a provider.
 * A new type is one more entry (its folder exports a ProviderKind).
 */
import type { ProviderAdapter, ProviderKind } from './types.js';
import { openAICompatibleKinds } from './openai-compatible/index.js';

export const providerKinds = {
  ...openAICompatibleKinds,
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
