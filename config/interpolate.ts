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

/** A variable's value, given its name and the default written after `:-`; undefined when it is missing. */
export type Resolve = (name: string, fallback: string | undefined) => string | undefined;

/** The environment's rule: a set, non-empty variable wins; then the default; a set empty one is ''. */
export function fromEnvironment(env: Readonly<Record<string, string | undefined>>): Resolve {
  return (name, fallback) => {
    const set = env[name];
    if (set !== undefined && set !== '') return set;
    if (fallback !== undefined) return fallback;
    return set === '' ? '' : undefined;
  };
}

/**
 * `validate --no-env`: every variable counts as set. What stands in is the default when one is written
 * (a value meant for that place), else the reference itself (what a summary then shows); the loader
 * adjusts it to what the schema wants there (config/stand-ins.ts) and never reports a value it made up.
 */
export const assumeSet: Resolve = (name, fallback) => (fallback !== undefined && fallback !== '' ? fallback : `\${${name}}`);

const reference = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(text: string, resolve: Resolve): Interpolated {
  const refs: string[] = [];
  const missing: string[] = [];
  const value = text.replace(reference, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    refs.push(name!);
    const resolved = resolve(name!, fallback);
    if (resolved !== undefined) return resolved;
    missing.push(name!);
    return '';
  });
  return { value, refs, missing, whole: refs.length === 1 && /^\$\{[^}]*\}$/.test(text) };
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
