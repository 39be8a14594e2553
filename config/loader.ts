/**
 * Loads switchyard.yaml in two phases (DESIGN §6): a strict parse — YAML with positions, `${VAR}`
 * interpolation, the zod schema with unknown keys refused — then cross-reference checks. Every problem
 * is reported, not only the first, as file:line:col with the dotted path and what was expected.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isPair, isScalar, isSeq, parseDocument, visit, type Node, type Scalar } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { interpolate, retype } from './interpolate.js';
import { dotted, Positions, type Path } from './positions.js';
import { translateIssue, type RawIssue } from './issues.js';
import { crossCheck } from './cross-check.js';

export { parseByteSize } from './byte-size.js';

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted path, e.g. `routes.chat.targets[1]`. */
  path: string;
  message: string;
}

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigIssue[]; locate: (path: Path) => { line: number; col: number } }
  | { ok: false; errors: ConfigIssue[] };

type Env = Readonly<Record<string, string | undefined>>;

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.path}: ${issue.message}`;
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.col - b.col;
}

export function loadConfigText(text: string, file: string, env: Env = process.env): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const positions = new Positions(doc, lines);
  const errors: ConfigIssue[] = [];

  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? { line: 1, col: 1 };
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    errors.push({ file, line: pos.line, col: pos.col, path: '(yaml)', message });
  }
  if (errors.length > 0) return { ok: false, errors: errors.sort(byPosition) };

  // Nodes whose value came from the environment: their values are never echoed in messages.
  const fromEnv = new Map<Node, string[]>();
  visit(doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const source = node.value;
      const result = interpolate(source, env);
      if (result.missing.length > 0) {
        const pos = node.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
        for (const name of result.missing) {
          errors.push({
            file,
            line: pos.line,
            col: pos.col,
            path: dotted(pathOf(ancestors, node)),
            message: `environment variable ${name} is not set (set it, or write \${${name}:-default} to give a default)`,
          });
        }
      }
      if (result.refs.length > 0) fromEnv.set(node, result.refs);
      node.value = result.whole && node.type === 'PLAIN' ? retype(result.value) : result.value;
    },
  });

  const shown = (path: Path): string => {
    const node = positions.node(path);
    const refs = node ? fromEnv.get(node) : undefined;
    if (refs) return `the value of \${${refs.join('}, ${')}}`;
    if (node && isScalar(node)) return JSON.stringify(node.value)?.slice(0, 80) ?? 'null';
    return 'a value of the wrong kind';
  };
  const toIssue = (raw: RawIssue): ConfigIssue => {
    const pos = raw.key !== undefined ? positions.ofKey(raw.path.slice(0, -1), raw.key) : positions.of(raw.path);
    return { file, line: pos.line, col: pos.col, path: dotted(raw.path), message: raw.message };
  };

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    errors.push({
      file,
      line: 1,
      col: 1,
      path: '(top level)',
      message: 'the config must be a YAML mapping with at least version, providers, deployments and routes',
    });
    return { ok: false, errors };
  }
  let parsed = configSchema.safeParse(data);
  // A quoted "${PORT}" is a string to YAML; where the schema wants a number or boolean, read it as one.
  if (!parsed.success && coerceFromEnv(parsed.error.issues, data, positions, fromEnv)) parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) for (const raw of translateIssue(issue, data, configSchema, shown)) errors.push(toIssue(raw));
    return { ok: false, errors: dedupe(errors).sort(byPosition) };
  }
  if (errors.length > 0) return { ok: false, errors: errors.sort(byPosition) };

  const checked = crossCheck(parsed.data, shown);
  if (checked.errors.length > 0) return { ok: false, errors: checked.errors.map(toIssue).sort(byPosition) };
  return { ok: true, config: parsed.data, warnings: checked.warnings.map(toIssue), locate: (path) => positions.of(path) };
}

export function loadConfigFile(path: string, env: Env = process.env): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (err as Error).message;
    return { ok: false, errors: [{ file: path, line: 1, col: 1, path: '(file)', message: `cannot read the config: ${why}` }] };
  }
  return loadConfigText(text, path, env);
}

function coerceFromEnv(
  issues: readonly z.core.$ZodIssue[],
  data: object,
  positions: Positions,
  fromEnv: ReadonlyMap<Node, string[]>,
): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' || (issue.expected !== 'number' && issue.expected !== 'boolean')) continue;
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    const node = positions.node(path);
    if (!node || !fromEnv.has(node) || path.length === 0) continue;
    let parent: Record<string | number, unknown> = data as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    const value = parent[last];
    const typed = typeof value === 'string' ? retype(value) : value;
    if (typeof typed === issue.expected) {
      parent[last] = typed;
      changed = true;
    }
  }
  return changed;
}

/** The data path of a node from the ancestors `visit` hands over (pairs give keys, lists give indexes). */
function pathOf(ancestors: readonly unknown[], node: unknown): Path {
  const out: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i += 1) {
    const a = chain[i];
    const next = chain[i + 1];
    if (isPair(a) && isScalar(a.key)) out.push(String(a.key.value));
    else if (isSeq(a)) out.push(a.items.indexOf(next as never));
  }
  return out;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = formatIssue(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
