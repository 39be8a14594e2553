/**
 * `passthrough:` — a provider's native endpoints the gateway does not translate (files, batches, the
 * Realtime WebSocket), forwarded under `/passthrough/{provider}/...` to that provider's configured
 * endpoint with the provider's credentials. Keyed by a provider id of `providers:`; each entry lists
 * the path prefixes clients may reach (matched segment by segment) and optional request limits.
 *
 * The cross-reference checks (an unknown provider, a prefix that is not a plain absolute path, a
 * provider whose requests are signed over the body, a key naming no entry) live here too, beside the
 * shape they check; config/cross-check.ts calls them.
 */
import { z } from 'zod';
import { didYouMean, type RawIssue } from './issues.js';
import type { Path } from './positions.js';
import { id } from './schema-primitives.js';
import { providerKinds, type ProviderType } from '../adapters/index.js';
import type { ProviderKind } from '../adapters/types.js';

/** A path segment as written in a prefix: URL path characters, no `%` escapes (so nothing hides in an escape). */
const segment = "[A-Za-z0-9._~!$&'()*+,;=:@-]+";
const prefixPattern = new RegExp(`^(/${segment})+$`);

const perUnit = z.number().int().positive();

export const passthroughLimitsSchema = z
  .strictObject({
    rpm: perUnit.optional().describe('Pass-through requests (and WebSocket upgrades) per minute to this provider, every key together.'),
    rpd: perUnit.optional().describe('Pass-through requests (and WebSocket upgrades) per day to this provider, every key together.'),
  })
  .describe(
    'Request limits of this pass-through entry (counted like route limits: in Redis when `redis` is set). Tokens and spend of pass-through traffic are unknown to the gateway and not counted.',
  );

export const passthroughEntrySchema = z
  .strictObject({
    paths: z
      .array(z.string())
      .min(1)
      .describe(
        'Path prefixes clients may reach, e.g. /v1/files, /v1/batches, /v1/realtime. Matched segment by segment: /v1/files allows /v1/files and /v1/files/abc/content, not /v1/filesx. The path is sent to the origin of the provider endpoint (scheme, host and port of its base_url; the base_url path is not prepended): /passthrough/openai/v1/files -> https://api.openai.com/v1/files.',
      ),
    limits: passthroughLimitsSchema.optional(),
  })
  .describe(
    "One provider's pass-through: the client authenticates with its gateway key; the gateway sends the provider's credentials (never the client's) to the provider's configured endpoint; bodies stream both ways; WebSocket upgrades are proxied.",
  );

export const passthroughSchema = z
  .record(id, passthroughEntrySchema)
  .describe(
    'Native endpoints forwarded untranslated under /passthrough/{provider}/..., keyed by a provider id of `providers`. Which keys may use them: see keys[].passthrough.',
  );

export const keyPassthroughSchema = z
  .array(id)
  .describe(
    'The pass-through entries (provider ids under `passthrough:`) this key may use. When absent: every entry for a key without `routes`, none for a key with a `routes` list (a key restricted to some routes is not given native endpoints silently).',
  );

export type PassthroughConfig = z.output<typeof passthroughSchema>;
export type PassthroughEntryConfig = z.output<typeof passthroughEntrySchema>;

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Whether the provider signs each request over its body (its adapter says: Bedrock's SigV4 without an
 * api_key). A pass-through body streams and is never held whole, so such providers are refused.
 */
function bodySigning(provider: Mapping): ReturnType<NonNullable<ProviderKind['signsBody']>> {
  const type = provider.type;
  if (typeof type !== 'string' || !Object.hasOwn(providerKinds, type)) return undefined;
  const kind: ProviderKind = providerKinds[type as ProviderType];
  return kind.signsBody?.(provider);
}

/** Why a pass-through path prefix is refused, or undefined when it is a plain absolute path. */
export function prefixProblem(prefix: string): string | undefined {
  if (!prefix.startsWith('/')) return `'${prefix}' must start with '/' (a path on the provider's origin, e.g. /v1/files)`;
  if (prefix.includes('%')) return `'${prefix}' must not contain '%' escapes: write the path's characters as they are`;
  if (prefix.includes('\\')) return `'${prefix}' must not contain a backslash`;
  const segments = prefix.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) return `'${prefix}' must not contain '.' or '..' segments`;
  if (segments.some((s) => s === '')) return `'${prefix}' must not contain empty segments ('//' or a trailing '/')`;
  if (!prefixPattern.test(prefix)) return `'${prefix}' holds characters a URL path cannot carry as they are (no '?', '#', spaces)`;
  return undefined;
}

/** The cross-reference checks of `passthrough:` and of keys' `passthrough` lists, at the offending value. */
export function passthroughProblems(data: Mapping, providers: Mapping | undefined): RawIssue[] {
  const errors: RawIssue[] = [];
  const section = isMapping(data.passthrough) ? data.passthrough : undefined;
  const providerIds = providers ? Object.keys(providers) : undefined;
  for (const [providerId, entry] of Object.entries(section ?? {})) {
    const path: Path = ['passthrough', providerId];
    const provider = providers?.[providerId];
    if (providerIds && provider === undefined) {
      errors.push({
        path,
        message: `no provider named '${providerId}'${didYouMean(providerId, providerIds)}; pass-through entries are keyed by a provider id`,
      });
    } else if (isMapping(provider)) {
      const signing = bodySigning(provider);
      if (signing !== undefined)
        errors.push({
          path,
          message: `provider '${providerId}' (type ${String(provider.type)}) signs each request over its body (${signing.scheme}), and pass-through bodies stream unbuffered: give the provider ${signing.instead} or remove this entry`,
        });
    }
    if (!isMapping(entry) || !Array.isArray(entry.paths)) continue;
    (entry.paths as unknown[]).forEach((prefix, i) => {
      if (typeof prefix !== 'string') return;
      const problem = prefixProblem(prefix);
      if (problem) errors.push({ path: ['passthrough', providerId, 'paths', i], message: problem });
    });
  }
  const entries = section ? Object.keys(section) : [];
  (Array.isArray(data.keys) ? (data.keys as unknown[]) : []).forEach((k, i) => {
    if (!isMapping(k) || !Array.isArray(k.passthrough)) return;
    (k.passthrough as unknown[]).forEach((name, j) => {
      if (typeof name === 'string' && !entries.includes(name))
        errors.push({
          path: ['keys', i, 'passthrough', j],
          message: `no pass-through entry '${name}'${didYouMean(name, entries)}; list provider ids configured under passthrough:`,
        });
    });
  });
  return errors;
}
