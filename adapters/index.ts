/**
 * The only list of provider types. The config schema takes its `type` enum from `providerTypes`,
 * and the runtime looks adapters up here; nothing in gateway/ names a provider.
 */
import type { ProviderAdapter } from './types.js';
import { openAICompatibleAdapters } from './openai-compatible/index.js';

export const adapters: Readonly<Record<string, ProviderAdapter>> = {
  ...openAICompatibleAdapters,
};

export const providerTypes: readonly string[] = Object.keys(adapters);

export function adapterFor(type: string): ProviderAdapter {
  const adapter = adapters[type];
  if (!adapter) throw new Error(`unknown provider type '${type}' (known: ${providerTypes.join(', ')})`);
  return adapter;
}
