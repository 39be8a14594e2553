/**
 * Which request targets a pass-through forwards: `/passthrough/{provider}/{path}?{query}` where
 * {path} lies under one of the entry's prefixes, compared segment by segment (`/v1/files` allows
 * `/v1/files/abc/content`, never `/v1/filesx`). The host is never the client's to choose: the
 * upstream is always the provider's configured endpoint, and anything that could make a path mean
 * something else on the way there is refused rather than normalised: an absolute-form target,
 * `.`/`..` segments (also as `%2e`), an encoded `/` or `\` (`%2F`, `%5C`), a backslash, an empty
 * segment (`//`), NUL or control characters, an escaped `%` (`%25`, a second decoding's door) and
 * malformed escapes. The path goes upstream exactly as the client wrote it once it passed.
 */

export const passthroughMount = '/passthrough/';

/** What a request target became: the entry and the upstream path, or why it is refused. */
export type PathDecision =
  | { readonly ok: true; readonly provider: string; readonly path: string; readonly query: string }
  | {
      readonly ok: false;
      readonly status: 400 | 404;
      readonly reason: PathRefusal;
      readonly message: string;
      /** The configured entry the target named, when it named one. */
      readonly provider: string | undefined;
    };

/** A bounded label for metrics and logs. */
export type PathRefusal = 'malformed' | 'unknown_provider' | 'not_allowed';

/** Characters a path may carry as written (RFC 3986 pchar plus '/'); '%' only as a valid escape. */
const pathChars = /^[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/;
/** A query may also carry '/' and '?'; nothing that ends or splits a request line. */
const queryChars = /^[A-Za-z0-9._~!$&'()*+,;=:@/?%[\]-]*$/;
const escape = /%(?![0-9A-Fa-f]{2})/;
/** Escapes that decode to a separator, a control character, or '%' itself. */
const forbiddenEscape = /%(2f|5c|25|0[0-9a-f]|1[0-9a-f]|7f)/i;

function refuse(status: 400 | 404, reason: PathRefusal, message: string, provider?: string): PathDecision {
  return { ok: false, status, reason, message, provider };
}

/** The segments of a prefix or of a checked path, decoded (a checked path holds no escapes that matter). */
function segmentsOf(path: string): string[] {
  return path.split('/').slice(1);
}

/** Whether `path` lies under `prefix`, segment by segment. Both are checked, absolute paths. */
export function underPrefix(path: readonly string[], prefix: readonly string[]): boolean {
  if (path.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i += 1) if (path[i] !== prefix[i]) return false;
  return true;
}

/**
 * Checks a raw request target (`req.url` as received: never Express's parsed path) against the
 * configured entries (`prefixes` by provider id).
 */
export function checkPassthroughTarget(rawUrl: string, prefixes: ReadonlyMap<string, readonly string[]>): PathDecision {
  if (!rawUrl.startsWith(passthroughMount))
    return refuse(
      400,
      'malformed',
      'Pass-through requests name a path on the gateway (/passthrough/{provider}/...), never a URL or a host.',
    );
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  const rest = rawPath.slice(passthroughMount.length);
  const slash = rest.indexOf('/');
  const provider = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  const known = [...prefixes.keys()];
  if (!prefixes.has(provider))
    return refuse(
      404,
      'unknown_provider',
      known.length === 0
        ? 'No pass-through is configured on this gateway.'
        : `No pass-through for '${provider.slice(0, 64)}'. Configured: ${known.map((p) => `/passthrough/${p}/`).join(', ')}.`,
    );
  const allowed = prefixes.get(provider)!;
  const allowedText = `Allowed under /passthrough/${provider}: ${allowed.join(', ')} (and paths below them).`;
  if (path === '') return refuse(404, 'not_allowed', `Name a provider path after /passthrough/${provider}. ${allowedText}`, provider);
  const malformed = (what: string) =>
    refuse(400, 'malformed', `The pass-through path ${what}; it is refused, not normalised. ${allowedText}`, provider);
  if (!pathChars.test(path))
    return malformed('holds characters a path may not carry as they are (a backslash, a space, a control character)');
  if (escape.test(path)) return malformed("holds a '%' that starts no valid escape");
  if (forbiddenEscape.test(path)) return malformed("holds an escaped '/', '\\', '%' or control character");
  if (!queryChars.test(query) || escape.test(query) || /%(00|0a|0d)/i.test(query))
    return malformed('query holds characters or escapes a query may not carry');
  let segments: string[];
  try {
    segments = segmentsOf(path).map((s) => decodeURIComponent(s));
  } catch {
    return malformed('holds an escape that is not UTF-8');
  }
  if (segments.some((s) => s === '')) return malformed("holds an empty segment ('//' or a trailing '/')");
  if (segments.some((s) => s === '.' || s === '..')) return malformed("holds a '.' or '..' segment");
  if (!allowed.some((prefix) => underPrefix(segments, segmentsOf(prefix))))
    return refuse(404, 'not_allowed', `The path ${path.slice(0, 200)} is not open for pass-through. ${allowedText}`, provider);
  return { ok: true, provider, path, query };
}
