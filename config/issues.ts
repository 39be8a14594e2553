/**
 * zod's issues turned into messages a person can act on: what was expected and what came instead,
 * "missing required key" at the mapping that lacks it, "unknown key" at the key itself with a
 * did-you-mean (or, for a provider, the type the key belongs to), an unknown provider type with the
 * known ones. Values that came from `${VAR}` are never echoed (they may be secrets).
 */
import type { z } from 'zod';
import type { Path } from './positions.js';

export interface RawIssue {
  path: Path;
  /** Set for unknown keys: the position is the key's own. */
  key?: string;
  /** Another value the issue rests on: an issue is dropped when that value is unknown (missing, or `${VAR}` with --no-env). */
  dependsOn?: Path;
  message: string;
}

type ZodIssue = z.core.$ZodIssue;

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

const expectedWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
  literal: 'a fixed value',
};

export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function didYouMean(name: string, options: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const o of options) {
    const d = levenshtein(name.toLowerCase(), o.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = o;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean '${best}'?)` : '';
}

type Def = Record<string, unknown>;

const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;
const wrappers = new Set(['default', 'prefault', 'optional', 'nullable', 'pipe']);

function unwrap(def: Def): Def {
  let d = def;
  while (wrappers.has(d.type as string)) d = defOf(d.innerType ?? d.in);
  return d;
}

const isDiscriminated = (def: Def): boolean => def.type === 'union' && typeof def.discriminator === 'string';

/** The values a variant's discriminator key takes (its literal). */
function tagsOf(variant: Def, discriminator: string): unknown[] {
  const field = (variant.shape as Record<string, unknown> | undefined)?.[discriminator];
  const def = field === undefined ? undefined : unwrap(defOf(field));
  return def?.type === 'literal' ? (def.values as unknown[]) : [];
}

/** The mapping schema at a path, and the discriminated union it is a variant of, if it is one. */
interface Mapping {
  def: Def;
  union?: { discriminator: string; variants: Def[] };
}

/**
 * The object schema for the mapping at `path` in the data (its keys are what is allowed there), read
 * from the zod schema. Where the schema is a discriminated union (`providers.<id>`, one variant per
 * type), the variant the data's own discriminator selects.
 */
function mappingAt(schema: z.ZodType, path: Path, data: unknown): Mapping | undefined {
  let def = unwrap(defOf(schema));
  let value = data;
  let union: Mapping['union'];
  const select = (): boolean => {
    union = undefined;
    if (!isDiscriminated(def)) return true;
    const discriminator = def.discriminator as string;
    const variants = (def.options as unknown[]).map((o) => unwrap(defOf(o)));
    const tag = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[discriminator] : undefined;
    const chosen = variants.find((v) => tagsOf(v, discriminator).includes(tag));
    if (!chosen) return false;
    union = { discriminator, variants };
    def = chosen;
    return true;
  };
  for (const key of path) {
    if (!select()) return undefined;
    if (def.type === 'object') {
      const child = (def.shape as Record<string, unknown>)[String(key)];
      if (!child) return undefined;
      def = defOf(child);
    } else if (def.type === 'record') {
      def = defOf(def.valueType);
    } else if (def.type === 'array') {
      def = defOf(def.element);
    } else {
      return undefined;
    }
    def = unwrap(def);
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined;
  }
  if (!select() || def.type !== 'object') return undefined;
  return union ? { def, union } : { def };
}

/** Why `key` is unknown here: a near miss, or a key that only other variants (types) have. */
function unknownKeyHint(key: string, mapping: Mapping | undefined, allowed: readonly string[]): string {
  const union = mapping?.union;
  if (union) {
    const owners = union.variants
      .filter((v) => v !== mapping.def && Object.hasOwn(v.shape as object, key))
      .flatMap((v) => tagsOf(v, union.discriminator).map(String));
    if (owners.length > 0) {
      const here = tagsOf(mapping.def, union.discriminator).map(String)[0] ?? '?';
      const list = owners.map((o) => `'${o}'`).join(', ');
      const who = owners.length === 1 ? `${union.discriminator} ${list} has` : `${union.discriminator}s ${list} have`;
      return ` (only ${who} it, not '${here}')`;
    }
  }
  return didYouMean(key, allowed);
}

export function translateIssue(issue: ZodIssue, data: unknown, schema: z.ZodType, shown: (path: Path) => string): RawIssue[] {
  const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const mapping = mappingAt(schema, path, data);
      const allowed = mapping ? Object.keys(mapping.def.shape as object) : [];
      return issue.keys.map((key) => ({
        path: [...path, key],
        key,
        message: `unknown key '${key}'${unknownKeyHint(key, mapping, allowed)}; allowed here: ${allowed.join(', ')}`,
      }));
    }
    case 'invalid_type': {
      if (value === undefined) {
        const key = path.at(-1);
        return [{ path: path.slice(0, -1), message: `missing required key '${String(key)}'` }];
      }
      const expected = expectedWords[issue.expected] ?? issue.expected;
      return [{ path, message: `expected ${expected}, got ${describe(value)}` }];
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => `'${String(v)}'`).join(', ');
      return [{ path, message: `expected one of ${options}, got ${shown(path)}` }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      if (issue.origin === 'array') return [{ path, message: `needs ${word} ${String(bound)} item(s)` }];
      if (issue.origin === 'string') return [{ path, message: `must be ${word} ${String(bound)} characters long` }];
      return [{ path, message: `must be ${word} ${String(bound)}, got ${shown(path)}` }];
    }
    case 'invalid_union': {
      if ('options' in issue && issue.options !== undefined && issue.discriminator !== undefined) {
        // No variant has this discriminator value (`providers.<id>.type`): list the known ones.
        if (value === undefined) return [{ path: path.slice(0, -1), message: `missing required key '${issue.discriminator}'` }];
        const known = issue.options.map(String);
        const hint = typeof value === 'string' ? didYouMean(value, known) : '';
        return [{ path, message: `expected one of ${known.map((o) => `'${o}'`).join(', ')}, got ${shown(path)}${hint}` }];
      }
      const first = issue.errors.flat().find((e) => e.code !== 'invalid_type');
      return [
        {
          path,
          message:
            first?.message && first.code === 'invalid_format'
              ? first.message
              : `${shown(path)} is not accepted here: expected a number of bytes or a size such as 512kb or 4mb`,
        },
      ];
    }
    case 'invalid_key':
      return [{ path, message: `invalid name ${shown(path)}: ${issue.issues[0]?.message ?? 'not allowed'}` }];
    case 'invalid_format':
      return [{ path, message: `${shown(path)}: ${issue.message}` }];
    default:
      return [{ path, message: issue.message }];
  }
}
