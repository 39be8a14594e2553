/**
 * Validates JSON against the schemas of OpenAI's OpenAPI description, for tests: every body and
 * stream chunk the gateway or a simulator returns should pass the schema the spec names for it.
 *
 * The spec is vendored in test/vendor/openai-openapi/ (openai/openai-openapi, unchanged; provenance and
 * licence in that folder's README.md), so the tests need nothing outside the repository.
 * It is OpenAPI 3.1 with 3.0 leftovers that a JSON Schema validator reads wrongly, so it is normalised first:
 * - `nullable: true` adds "null" to `type` (and to `enum`), or wraps the schema in
 *   `anyOf: [schema, {type: "null"}]` when it has no `type` (a bare `$ref`, `oneOf`, ...);
 *   `allOf: [X, {nullable: true}]` makes the whole schema nullable;
 * - refs `#/components/schemas/X` become `#/$defs/X` of one document holding every schema;
 * - `$recursiveRef` (2019-09, unknown to Ajv's 2020 dialect) points at its own top-level schema;
 * - 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become 3.1 numbers;
 * - `discriminator`, `x-*` vendor keys and the prose (`description`, `example`) are dropped.
 * Parsing 3 MB of YAML takes seconds, so the converted JSON is cached under
 * node_modules/.cache/switchyard/, keyed by the spec's size and mtime.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const specPath = fileURLToPath(new URL('../vendor/openai-openapi/openai-openapi.yaml', import.meta.url));
const cacheDir = `${repoRoot}node_modules/.cache/switchyard`;
const DOC_ID = 'https://switchyard.test/openai-openapi.json';

/** Keys whose values are maps of names to schemas, not schemas themselves. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Prose and vendor annotations: no effect on validation. */
const DROPPED = new Set(['description', 'example', 'examples', 'discriminator', '$recursiveAnchor', 'externalDocs', 'xml']);

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{nullable: true}` with nothing else that validates: the allOf member that means "or null". */
function isBareNullable(value: Json): boolean {
  return (
    isObject(value) &&
    value['nullable'] === true &&
    Object.keys(value).every((k) => k === 'nullable' || DROPPED.has(k) || k.startsWith('x-'))
  );
}

function normalize(node: Json, top: string): Json {
  if (Array.isArray(node)) return node.map((n) => normalize(n, top));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  let nullable = node['nullable'] === true;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || DROPPED.has(key) || key.startsWith('x-')) continue;
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, normalize(schema, top)]));
    } else if (key === '$ref' && typeof value === 'string') {
      out[key] = value.replace('#/components/schemas/', '#/$defs/');
    } else if (key === '$recursiveRef') {
      out['$ref'] = `#/$defs/${top}`;
    } else if (key === 'allOf' && Array.isArray(value)) {
      const members = value.filter((m) => !isBareNullable(m));
      if (members.length !== value.length) nullable = true;
      if (members.length > 0) out[key] = members.map((m) => normalize(m, top));
    } else {
      out[key] = normalize(value, top);
    }
  }
  for (const bound of ['Minimum', 'Maximum'] as const) {
    const exclusive = out[`exclusive${bound}`];
    if (typeof exclusive !== 'boolean') continue;
    const limit = out[bound.toLowerCase()];
    delete out[`exclusive${bound}`];
    if (exclusive && typeof limit === 'number') {
      out[`exclusive${bound}`] = limit;
      delete out[bound.toLowerCase()];
    }
  }
  if (!nullable) return out;
  const type = out['type'];
  if (typeof type === 'string' || Array.isArray(type)) {
    const types = Array.isArray(type) ? type : [type];
    if (!types.includes('null')) out['type'] = [...types, 'null'];
    const values = out['enum'];
    if (Array.isArray(values) && !values.includes(null)) out['enum'] = [...values, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

/** The spec's component schemas, normalised for Ajv: from the cache when the spec has not changed. */
function loadSchemas(): JsonObject {
  const stat = statSync(specPath);
  const cachePath = `${cacheDir}/openapi-${stat.size}-${Math.trunc(stat.mtimeMs)}.json`;
  try {
    return JSON.parse(readFileSync(cachePath, 'utf8')) as JsonObject;
  } catch {
    // No cache yet (or a broken one): convert and write it.
  }
  const spec = parse(readFileSync(specPath, 'utf8'), { maxAliasCount: -1 }) as JsonObject;
  const components = spec['components'];
  const schemas = isObject(components) ? components['schemas'] : undefined;
  if (!isObject(schemas)) throw new Error(`${specPath}: no components.schemas`);
  const normalized: JsonObject = {};
  for (const [name, schema] of Object.entries(schemas)) normalized[name] = normalize(schema, name);
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed: parallel test workers never read a half-written file.
    const tmp = `${cachePath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(normalized));
    renameSync(tmp, cachePath);
  } catch {
    // A read-only node_modules only costs the next run the conversion again.
  }
  return normalized;
}

let ajv: Ajv2020 | undefined;
let schemaNames: ReadonlySet<string> = new Set();
const validators = new Map<string, ValidateFunction>();

function validatorFor(name: string): ValidateFunction {
  const known = validators.get(name);
  if (known) return known;
  if (!ajv) {
    const schemas = loadSchemas();
    schemaNames = new Set(Object.keys(schemas));
    ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    // ajv-formats is CommonJS: from ESM the plugin is the module's `default` property.
    addFormatsModule.default(ajv);
    ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    ajv.addSchema({ $id: DOC_ID, $defs: schemas });
  }
  if (!schemaNames.has(name)) throw new Error(`the OpenAPI spec has no schema named '${name}'`);
  const validate = ajv.compile({ $ref: `${DOC_ID}#/$defs/${name}` });
  validators.set(name, validate);
  return validate;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  const detail =
    'allowedValues' in params
      ? ` ${JSON.stringify(params['allowedValues'])}`
      : 'additionalProperty' in params
        ? ` '${String(params['additionalProperty'])}'`
        : '';
  return `${where} ${error.message ?? error.keyword}${detail} (${error.schemaPath})`;
}

/** Readable errors of `value` against the named component schema; empty when it is valid. */
export function validateSchema(name: string, value: unknown): string[] {
  const validate = validatorFor(name);
  if (validate(value)) return [];
  return [...new Set((validate.errors ?? []).map(describe))];
}

/** Throws with every error when `value` does not match the named schema (for vitest). */
export function expectSchema(name: string, value: unknown): void {
  const errors = validateSchema(name, value);
  if (errors.length > 0) {
    throw new Error(`not a valid ${name}:\n  ${errors.join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
  }
}
