/**
 * An eval suite file (YAML): cases, each a chat request and what its answer must satisfy. Loading is
 * strict, as the config's is: unknown keys are errors, and every problem is reported at once as
 * file:line:col (config/positions.ts) — schema errors, then what the schema cannot say: a case needs
 * `messages` or `prompt` (not both) and at least one expectation, names are unique, regexes and JSON
 * Schemas compile. A loaded case carries its request body ready to send, less `model`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { translateIssue, type RawIssue } from '../../config/issues.js';
import { dotted, lineIndex, Positions, type Path } from '../../config/positions.js';
import { regexError, schemaError, type EvalExpectation } from './checks.js';

export interface EvalCase {
  name: string;
  /** The chat request: defaults, then the case's `request`, `tools` and messages; the runner adds model and stream. */
  body: Record<string, unknown>;
  expect: EvalExpectation;
}

export interface Suite {
  name: string;
  cases: EvalCase[];
}

export type SuiteLoadResult = { ok: true; suite: Suite } | { ok: false; errors: string[] };

const requestFields = z.record(z.string(), z.unknown());
const textList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const expectSchema = z.strictObject({
  contains: textList.optional(),
  contains_any: z.array(z.string().min(1)).min(1).optional(),
  regex: z.string().optional(),
  json_schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]).optional(),
  tool_call: z.string().min(1).optional(),
  max_latency_ms: z.number().positive().optional(),
  max_cost_usd: z.number().min(0).optional(),
});

const caseSchema = z.strictObject({
  name: z.string().min(1),
  messages: z
    .array(z.looseObject({ role: z.string().min(1) }))
    .min(1)
    .optional(),
  prompt: z.string().min(1).optional(),
  expect: expectSchema,
  tools: z.array(z.unknown()).min(1).optional(),
  request: requestFields.optional(),
});

const suiteSchema = z.strictObject({
  suite: z.string().min(1).optional(),
  defaults: requestFields.optional(),
  cases: z.array(caseSchema).min(1),
});

type SuiteData = z.output<typeof suiteSchema>;

/** Request keys the eval sets itself. */
const reservedKeys: Record<string, string> = {
  model: 'the model is the --route',
  messages: "a case's messages (or prompt) are its own",
  stream: 'answers are not streamed',
};

/** What the unions accept, in words (zod's own message for a union names no alternative). */
const unionWords: Record<string, string> = {
  contains: 'a string or a list of strings',
  json_schema: 'a JSON Schema (a mapping, or true or false)',
};

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) v = isRecord(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** The checks the schema cannot express, on the data as written (so they run beside the schema's). */
function suiteChecks(data: Record<string, unknown>): RawIssue[] {
  const issues: RawIssue[] = [];
  const reserved = (fields: unknown, path: Path): void => {
    if (!isRecord(fields)) return;
    for (const key of Object.keys(fields)) {
      if (key in reservedKeys) issues.push({ path: [...path, key], key, message: `'${key}' is set by the eval: ${reservedKeys[key]}` });
    }
  };
  reserved(data.defaults, ['defaults']);
  const cases = Array.isArray(data.cases) ? data.cases : [];
  const seen = new Map<string, number>();
  cases.forEach((c: unknown, i) => {
    if (!isRecord(c)) return;
    const at: Path = ['cases', i];
    if (c.messages === undefined && c.prompt === undefined) issues.push({ path: at, message: 'a case needs messages or prompt' });
    if (c.messages !== undefined && c.prompt !== undefined) {
      issues.push({ path: [...at, 'prompt'], key: 'prompt', message: 'give messages or prompt, not both' });
    }
    if (typeof c.name === 'string') {
      const first = seen.get(c.name);
      if (first !== undefined) issues.push({ path: [...at, 'name'], message: `duplicate case name '${c.name}' (also cases[${first}])` });
      else seen.set(c.name, i);
    }
    reserved(c.request, [...at, 'request']);
    const expect = c.expect;
    if (!isRecord(expect)) return;
    if (Object.keys(expect).length === 0) {
      issues.push({ path: [...at, 'expect'], message: `needs at least one expectation: ${Object.keys(expectSchema.shape).join(', ')}` });
    }
    const badRegex = typeof expect.regex === 'string' ? regexError(expect.regex) : undefined;
    if (badRegex) issues.push({ path: [...at, 'expect', 'regex'], message: `the regex does not compile: ${badRegex}` });
    const schema = expect.json_schema;
    const badSchema = isRecord(schema) || typeof schema === 'boolean' ? schemaError(schema) : undefined;
    if (badSchema) issues.push({ path: [...at, 'expect', 'json_schema'], message: `the JSON schema does not compile: ${badSchema}` });
  });
  return issues;
}

function toSuite(data: SuiteData, file: string): Suite {
  const name = data.suite ?? basename(file).replace(/\.ya?ml$/i, '');
  const cases = data.cases.map((c): EvalCase => {
    const messages = c.messages ?? [{ role: 'user', content: c.prompt }];
    const body = { ...data.defaults, ...c.request, ...(c.tools ? { tools: c.tools } : {}), messages };
    const { contains, ...rest } = c.expect;
    const expect: EvalExpectation = {
      ...rest,
      ...(contains !== undefined ? { contains: typeof contains === 'string' ? [contains] : contains } : {}),
    };
    return { name: c.name, body, expect };
  });
  return { name, cases };
}

export function loadSuiteText(text: string, file: string): SuiteLoadResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const locate = lineIndex(text);
  const at = (pos: { line: number; col: number }, path: string, message: string): string =>
    `${file}:${pos.line}:${pos.col}: ${path}: ${message}`;
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) =>
      at(locate(e.pos[0]), '(yaml)', e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')),
    );
    return { ok: false, errors };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isRecord(data))
    return { ok: false, errors: [at({ line: 1, col: 1 }, '(top level)', 'a suite is a YAML mapping with a list of cases')] };

  const positions = new Positions(doc, locate);
  const parsed = suiteSchema.safeParse(data);
  const shown = (path: Path): string => JSON.stringify(valueAt(data, path))?.slice(0, 80) ?? 'nothing';
  const schemaIssues = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue): RawIssue[] => {
        const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
        const words = unionWords[String(path.at(-1))];
        if (issue.code === 'invalid_union' && words) return [{ path, message: `expected ${words}, got ${shown(path)}` }];
        return translateIssue(issue, data, suiteSchema, shown);
      });
  const issues = [...schemaIssues, ...suiteChecks(data)];
  if (parsed.success && issues.length === 0) return { ok: true, suite: toSuite(parsed.data, file) };

  const located = issues.map((issue) => ({
    pos: issue.key !== undefined ? positions.ofKey(issue.path.slice(0, -1), issue.key) : positions.of(issue.path),
    issue,
  }));
  located.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  return { ok: false, errors: [...new Set(located.map(({ pos, issue }) => at(pos, dotted(issue.path), issue.message)))] };
}

export function loadSuiteFile(path: string): SuiteLoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    return { ok: false, errors: [`${path}:1:1: (file): cannot read the suite: ${why}`] };
  }
  return loadSuiteText(text, path);
}
