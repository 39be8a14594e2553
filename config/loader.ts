/**
 * Loads switchyard.yaml in two phases (DESIGN §6): a strict parse — YAML with positions, `${VAR}`
 * interpolation, the zod schema with unknown keys refused — then cross-reference checks. Both phases
 * run in one pass over whatever the file allows, so every problem is reported at once, not only the
 * first, as file:line:col with the dotted path and what was expected — and each only once: a missing
 * variable is one error, not also the schema's complaint about the empty value it left behind.
 */
import { readFileSync } from 'node:fs';
import { isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { assumeSet, fromEnvironment } from './interpolate.js';
import { applyEnvironment } from './environment.js';
import { flowReferenceMessage, repairFlowReferences } from './flow-references.js';
import { isValueIssue, settleEnvValues } from './stand-ins.js';
import { dotted, lineIndex, Positions, type Path, type Position } from './positions.js';
import { translateIssue, type RawIssue } from './issues.js';
import { crossCheck } from './cross-check.js';
import { literalSecrets } from './literal-secrets.js';

export { parseByteSize } from './byte-size.js';

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted path, e.g. `routes.chat.targets[1]`. */
  path: string;
  message: string;
}

export interface LoadOptions {
  /**
   * Check without the environment (`validate --no-env`): every `${VAR}` counts as set to a value its
   * place accepts, so structure and references are checked and no variable is reported missing.
   */
  assumeEnvSet?: boolean;
}

interface LoadReport {
  warnings: ConfigIssue[];
  /** With `assumeEnvSet`: the variables that were assumed set, sorted; otherwise empty. */
  assumedSet: string[];
}

export type LoadResult =
  (LoadReport & { ok: true; config: Config; locate: (path: Path) => Position }) | (LoadReport & { ok: false; errors: ConfigIssue[] });

type Env = Readonly<Record<string, string | undefined>>;
type ZodIssue = z.core.$ZodIssue;

/** How many times values from the environment are adjusted to the schema and the data parsed again. */
const settleRounds = 8;

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.path}: ${issue.message}`;
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.col - b.col;
}

const parse = (text: string): Document => parseDocument(text, { uniqueKeys: true, prettyErrors: false });

export function loadConfigText(text: string, file: string, env: Env = process.env, options: LoadOptions = {}): LoadResult {
  const assume = options.assumeEnvSet === true;
  const issueAt = (pos: Position, path: string, message: string): ConfigIssue => ({ file, ...pos, path, message });
  const fail = (errors: ConfigIssue[], warnings: ConfigIssue[] = [], assumedSet: string[] = []): LoadResult => ({
    ok: false,
    errors: dedupe(errors).sort(byPosition),
    warnings: dedupe(warnings).sort(byPosition),
    assumedSet,
  });

  // Phase one, YAML: one clear error per unquoted `${` inside { } or [ ], then the rest as if quoted.
  let doc = parse(text);
  let locate = lineIndex(text);
  const repair = doc.errors.length > 0 ? repairFlowReferences(text, doc.errors) : undefined;
  if (repair) {
    const index = locate;
    doc = parse(repair.text);
    locate = (offset) => index(repair.original(offset));
  }
  const positions = new Positions(doc, locate);
  const errors: ConfigIssue[] = (repair?.references ?? []).map((ref) => {
    const at = positions.pathAt(ref.repairedStart);
    return issueAt(locate(ref.repairedStart), at ? dotted(at) : '(yaml)', flowReferenceMessage(ref));
  });
  for (const err of doc.errors) {
    errors.push(issueAt(locate(err.pos[0]), '(yaml)', err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')));
  }
  if (doc.errors.length > 0) return fail(errors);

  // `${VAR}`: missing variables are one error each, at their value.
  const environment = applyEnvironment(doc, assume ? assumeSet : fromEnvironment(env), assume);
  const assumedSet = assume ? [...new Set([...environment.fromEnv.values()].flat())].sort() : [];
  for (const m of environment.missing) {
    errors.push(
      issueAt(
        positions.ofNode(m.node),
        dotted(m.path),
        `environment variable ${m.name} is not set (set it, or write \${${m.name}:-default} to give a default)`,
      ),
    );
  }

  const shown = (path: Path): string => {
    const node = positions.node(path);
    const refs = node ? environment.fromEnv.get(node) : undefined;
    if (refs) return `the value of \${${refs.join('}, ${')}}`;
    if (node && isScalar(node)) return JSON.stringify(node.value)?.slice(0, 80) ?? 'null';
    return 'a value of the wrong kind';
  };
  const toIssue = (raw: RawIssue): ConfigIssue => {
    const pos = raw.key !== undefined ? positions.ofKey(raw.path.slice(0, -1), raw.key) : positions.of(raw.path);
    return issueAt(pos, dotted(raw.path), raw.message);
  };
  /** An issue about a value nobody knows here (missing, or env assumed set) is not the file's fault. */
  const aboutUnknown = (path: Path): boolean => {
    const node = positions.node(path);
    return node !== undefined && environment.unknown.has(node);
  };

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    errors.push(
      issueAt(
        { line: 1, col: 1 },
        '(top level)',
        'the config must be a YAML mapping with at least version, providers, deployments and routes',
      ),
    );
    return fail(errors, [], assumedSet);
  }

  // The schema, with values from the environment settled to what it expects where they can be.
  let parsed = configSchema.safeParse(data);
  for (let round = 0; !parsed.success && round < settleRounds; round += 1) {
    if (!settleEnvValues(parsed.error.issues, data, (path) => positions.node(path), environment)) break;
    parsed = configSchema.safeParse(data);
  }
  const schemaIssues: ZodIssue[] = parsed.success ? [] : parsed.error.issues;
  const kept = schemaIssues.filter((issue) => !(isValueIssue(issue) && aboutUnknown(pathOf(issue))));
  const schemaErrors = kept.flatMap((issue) => translateIssue(issue, data, configSchema, shown)).map(toIssue);
  errors.push(...schemaErrors);

  // Phase two, references: in the same pass, except where the schema already said what is wrong.
  const taken = new Set(schemaErrors.map((e) => e.path));
  const checked = crossCheck(data as Record<string, unknown>, shown);
  errors.push(
    ...checked.errors
      .filter((raw) => !aboutUnknown(raw.path) && !(raw.dependsOn !== undefined && aboutUnknown(raw.dependsOn)))
      .map(toIssue)
      .filter((e) => !taken.has(e.path)),
  );

  const isLiteral = (path: Path): boolean => {
    const node = positions.node(path);
    return node !== undefined && isScalar(node) && typeof node.value === 'string' && node.value !== '' && !environment.fromEnv.has(node);
  };
  const warnings = [...checked.warnings, ...literalSecrets(data as Record<string, unknown>, isLiteral)].map(toIssue);

  if (!parsed.success && errors.length === 0) {
    // Only issues about unknown values are left, and no value could stand in for them: say so.
    for (const issue of schemaIssues) for (const raw of translateIssue(issue, data, configSchema, shown)) errors.push(toIssue(raw));
  }
  if (!parsed.success || errors.length > 0) return fail(errors, warnings, assumedSet);
  return {
    ok: true,
    config: parsed.data,
    warnings: dedupe(warnings).sort(byPosition),
    assumedSet,
    locate: (path) => positions.of(path),
  };
}

export function loadConfigFile(path: string, env: Env = process.env, options: LoadOptions = {}): LoadResult {
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
    const error = { file: path, line: 1, col: 1, path: '(file)', message: `cannot read the config: ${why}` };
    return { ok: false, errors: [error], warnings: [], assumedSet: [] };
  }
  return loadConfigText(text, path, env, options);
}

function pathOf(issue: ZodIssue): Path {
  return issue.path.filter((k): k is string | number => typeof k !== 'symbol');
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
