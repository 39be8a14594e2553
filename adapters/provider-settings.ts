/**
 * A provider as its adapter sees it, built once per provider when the config loads (never per
 * request): the identity (id, type, static headers with names lower-cased, as HTTP treats them) and
 * the keys of its type's settings schema, as the config parsed them. The config's variant for a type
 * is that schema's keys merged with the transport's (config/schema.ts), so taking the schema's own
 * keys from the parsed entry is exactly the schema's output: nothing is copied by hand, and a new
 * setting reaches the adapter by being declared in its schema.
 */
import { providerKindOf } from './index.js';
import type { ProviderSettings } from './types.js';

/** One parsed `providers.<id>` entry, seen structurally (adapters/ does not import config/). */
export interface ParsedProvider {
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export function providerSettingsOf(id: string, entry: ParsedProvider): ProviderSettings {
  const own: Record<string, unknown> = {};
  // zod leaves an absent optional key out of its output; so does this.
  for (const key of Object.keys(providerKindOf(entry.type).settings.shape)) if (entry[key] !== undefined) own[key] = entry[key];
  return { ...own, id, type: entry.type, headers: lowerCaseNames(entry.headers) };
}

function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
