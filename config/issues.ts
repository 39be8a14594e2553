/**
 * zod's issues turned into messages a person can act on: what was expected and what came instead,
 * "missing required key" at the mapping that lacks it, "unknown key" at the key itself with a
 * did-you-mean. Values that came from `${VAR}` are never echoed (they may be secrets).
 */
import type { z } from 'zod';
import type { Path } from './positions.js';

export interface RawIssue {
  path: Path;
  /** Set for unknown keys: the position is the key's own. */
  key?: string;
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
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', object: 'a mapping',
  array: 'a list', record: 'a mapping', literal: 'a fixed value',
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

/** The keys a mapping at `path` may have, read from the zod schema. */
export function allowedKeys(schema: z.ZodType, path: Path): string[] {
  let def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const unwrap = () => {
    while (def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'pipe') {
      const inner = (def.innerType ?? def.in) as { _zod: { def: Record<string, unknown> } };
      def = inner._zod.def;
    }
  };
  unwrap();
  for (const key of path) {
    if (def.type === 'object') {
      const child = (def.shape as Record<string, { _zod: { def: Record<string, unknown> } }>)[String(key)];
      if (!child) return [];
      def = child._zod.def;
    } else if (def.type === 'record') {
      def = (def.valueType as { _zod: { def: Record<string, unknown> } })._zod.def;
    } else if (def.type === 'array') {
      def = (def.element as { _zod: { def: Record<string, unknown> } })._zod.def;
    } else {
      return [];
    }
    unwrap();
  }
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
}

export function translateIssue(
  issue: ZodIssue,
  data: unknown,
  schema: z.ZodType,
  shown: (path: Path) => string,
): RawIssue[] {
  const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        key,
        message: `unknown key '${key}'${didYouMean(key, allowed)}; allowed here: ${allowed.join(', ')}`,
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
      const first = issue.errors.flat().find((e) => e.code !== 'invalid_type');
      return [{ path, message: first?.message && first.code === 'invalid_format' ? first.message : `${shown(path)} is not accepted here: expected a number of bytes or a size such as 512kb or 4mb` }];
    }
    case 'invalid_key':
      return [{ path, message: `invalid name ${shown(path)}: ${issue.issues[0]?.message ?? 'not allowed'}` }];
    case 'invalid_format':
      return [{ path, message: `${shown(path)}: ${issue.message}` }];
    default:
      return [{ path, message: issue.message }];
  }
}
