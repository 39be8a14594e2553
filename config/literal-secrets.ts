/**
 * Secrets belong in the environment (README, DESIGN §3): a provider's credentials (the keys its type
 * declares as `secrets` in adapters/index.ts, and credential headers), client keys and the admin key
 * are written as `${VAR}`. One written inline still works — the gateway starts — but it ends up in
 * version control and in every copy of the file, so it is a warning at its line, naming the variable
 * to use instead. The value itself is never printed.
 */
import { providerKindOf, providerTypes } from '../adapters/index.js';
import type { RawIssue } from './issues.js';
import type { Path } from './positions.js';

const credentialHeaders = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key']);

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `team-search`, `key` -> `TEAM_SEARCH_KEY` */
function variableName(...parts: string[]): string {
  return parts
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function warning(path: Path, key: string, variable: string): RawIssue {
  return {
    path,
    message: `a secret is written into the file; secrets belong in the environment: write ${key}: "\${${variable}}" and set ${variable}`,
  };
}

/**
 * `isLiteral(path)`: the value at `path` is a non-empty string written in the file, not read from
 * the environment.
 */
export function literalSecrets(data: Record<string, unknown>, isLiteral: (path: Path) => boolean): RawIssue[] {
  const out: RawIssue[] = [];
  if (isMapping(data.server) && isLiteral(['server', 'admin_key']))
    out.push(warning(['server', 'admin_key'], 'admin_key', 'SWITCHYARD_ADMIN_KEY'));
  if (isMapping(data.providers)) {
    for (const [id, provider] of Object.entries(data.providers)) {
      if (!isMapping(provider)) continue;
      const type = provider.type;
      const secrets = typeof type === 'string' && (providerTypes as readonly string[]).includes(type) ? providerKindOf(type).secrets : [];
      for (const key of secrets) {
        const path = ['providers', id, key];
        if (isLiteral(path)) out.push(warning(path, key, variableName(id, key)));
      }
      if (isMapping(provider.headers)) {
        for (const name of Object.keys(provider.headers)) {
          const path = ['providers', id, 'headers', name];
          if (credentialHeaders.has(name.toLowerCase()) && isLiteral(path)) out.push(warning(path, name, variableName(id, name)));
        }
      }
    }
  }
  if (Array.isArray(data.keys)) {
    data.keys.forEach((k: unknown, i) => {
      const path = ['keys', i, 'key'];
      if (isMapping(k) && isLiteral(path))
        out.push(warning(path, 'key', variableName(typeof k.name === 'string' ? k.name : `client_${i}`, 'key')));
    });
  }
  return out;
}
