/**
 * `${VAR}` and `${VAR:-default}` in string values, read from the environment when the file loads.
 * `$${` writes a literal `${`. Interpolation happens on the parsed YAML's scalars (never on the raw
 * text), so a value can never inject YAML structure, and every error keeps its line:col.
 */
export interface Interpolated {
  value: string;
  /** The variables referenced (for messages that must not echo secret values). */
  refs: string[];
  /** Variables referenced without default and not set. */
  missing: string[];
  /** The whole text was exactly one `${...}` reference. */
  whole: boolean;
}

const reference = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): Interpolated {
  const refs: string[] = [];
  const missing: string[] = [];
  let matches = 0;
  const value = text.replace(reference, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    matches += 1;
    refs.push(name!);
    const set = env[name!];
    if (set !== undefined && set !== '') return set;
    if (fallback !== undefined) return fallback;
    if (set === '') return '';
    missing.push(name!);
    return '';
  });
  return { value, refs, missing, whole: matches === 1 && reference.source.length > 0 && /^\$\{[^}]*\}$/.test(text) };
}

/** A plain scalar that was one reference is re-read as YAML would read it: `${PORT:-8080}` is a number. */
export function retype(value: string): string | number | boolean | null {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (/^-?\d+\.\d+$/.test(value)) return Number(value);
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value === 'null' || value === '~') return null;
  return value;
}
