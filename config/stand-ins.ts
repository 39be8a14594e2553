/**
 * Values from the environment meet the schema. A set variable read where a number or boolean is
 * expected becomes one (a quoted "${PORT}" is a string to YAML). A value nobody knows — a missing
 * variable, or any variable under `validate --no-env` — is replaced by one the schema accepts at that
 * place, learnt from zod's own complaint (a number at the minimum, an enum's first option, a string
 * padded to the minimum length...), so that one unknown value never produces a second error and the
 * rest of the file is still checked. Such values are never shown: messages say "the value of ${VAR}".
 */
import type { Node } from 'yaml';
import type { z } from 'zod';
import { retype } from './interpolate.js';
import type { Environment } from './environment.js';
import type { Path } from './positions.js';

type Issue = z.core.$ZodIssue;

/** Expectations a value from the environment (a scalar) can meet; a list or mapping it never can. */
const scalarTypes = new Set(['string', 'number', 'int', 'boolean', 'null']);

/** True when `issue` is about the value itself and a different scalar could satisfy it. */
export function isValueIssue(issue: Issue): boolean {
  return issue.code !== 'invalid_type' || scalarTypes.has(issue.expected);
}

function patternOf(source: string): RegExp | undefined {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(source);
  try {
    return m ? new RegExp(m[1]!, m[2]) : new RegExp(source);
  } catch {
    return undefined;
  }
}

/** A value the schema accepts where `issue` was raised, or undefined when none can be derived. */
export function standInFor(issue: Issue, current: unknown): unknown {
  const text = typeof current === 'string' && current !== '' ? current : 'x';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'number' || issue.expected === 'int') return 1;
      if (issue.expected === 'boolean') return false;
      if (issue.expected === 'string') return text;
      return undefined;
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return text.padEnd(min, 'x');
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive ? min : Math.floor(min) + 1;
      return undefined;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return text.slice(0, max);
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive ? max : Math.ceil(max) - 1;
      return undefined;
    }
    case 'invalid_value':
      return issue.values[0];
    case 'invalid_format': {
      if (issue.format === 'starts_with' && 'prefix' in issue) return `${String(issue.prefix)}${text}`;
      if (issue.format === 'ends_with' && 'suffix' in issue) return `${text}${String(issue.suffix)}`;
      const pattern = 'pattern' in issue && typeof issue.pattern === 'string' ? patternOf(issue.pattern) : undefined;
      const fits = pattern && [text, 'x', '1'].find((c) => pattern.test(c));
      // A union of a number and a formatted string (`body_limit`) takes the number.
      return fits ?? (typeof current === 'number' ? undefined : 1);
    }
    case 'invalid_union':
      // A discriminated union (`providers.<id>.type`) lists its tags.
      if ('options' in issue && Array.isArray(issue.options) && issue.options.length > 0) return issue.options[0];
      for (const alternative of issue.errors) {
        const first = alternative[0];
        const value = first ? standInFor(first, current) : undefined;
        if (value !== undefined) return value;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Adjusts values from the environment after a failed parse; true when something changed (parse
 * again). `nodeAt` maps a data path to its YAML node.
 */
export function settleEnvValues(
  issues: readonly Issue[],
  data: object,
  nodeAt: (path: Path) => Node | undefined,
  env: Environment,
): boolean {
  let changed = false;
  for (const issue of issues) {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    const node = path.length > 0 ? nodeAt(path) : undefined;
    if (!node || !env.fromEnv.has(node)) continue;
    let parent = data as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    const value = parent[last];
    let next: unknown;
    if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'boolean') && typeof value === 'string') {
      const typed = retype(value);
      if (typeof typed === issue.expected) next = typed;
    }
    if (next === undefined && env.unknown.has(node)) next = standInFor(issue, value);
    if (next !== undefined && next !== value) {
      parent[last] = next;
      changed = true;
    }
  }
  return changed;
}
