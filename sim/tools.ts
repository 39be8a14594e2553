/**
 * Tool calls: when the simulated model calls a function, which one, and with what arguments. The
 * arguments are made up from the function's JSON Schema (required properties, plausible values by
 * type and by name), so a client that parses and validates them gets something sensible.
 */

export interface ToolSpec {
  name: string;
  parameters: unknown;
}

export interface ToolCallPlan {
  id: string;
  name: string;
  /** The arguments as a JSON string, as the wire carries them. */
  arguments: string;
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Words that make the model call a tool when `tool_choice` is auto (or absent). */
const TOOL_WORDS = /\b(weather|tool)\b/i;

/**
 * The function to call, or undefined for a text answer: `required` or a named function always call;
 * `auto`/absent call only when the last message is the user's and mentions weather or a tool.
 */
export function pickTool(tools: unknown, toolChoice: unknown, last: { role: string; text: string }): ToolSpec | undefined {
  if (!Array.isArray(tools)) return undefined;
  const functions: ToolSpec[] = [];
  for (const tool of tools) {
    if (!isSchema(tool) || tool['type'] !== 'function' || !isSchema(tool['function'])) continue;
    const fn = tool['function'];
    if (typeof fn['name'] === 'string') functions.push({ name: fn['name'], parameters: fn['parameters'] });
  }
  const first = functions[0];
  if (first === undefined || toolChoice === 'none') return undefined;
  if (toolChoice === 'required') return first;
  if (isSchema(toolChoice) && toolChoice['type'] === 'function' && isSchema(toolChoice['function'])) {
    const name = toolChoice['function']['name'];
    return functions.find((f) => f.name === name) ?? first;
  }
  if (toolChoice !== undefined && toolChoice !== 'auto' && !isSchema(toolChoice)) return undefined;
  return last.role === 'user' && TOOL_WORDS.test(last.text) ? first : undefined;
}

const MAX_DEPTH = 4;

function stringFor(schema: Schema, name: string): string {
  switch (schema['format']) {
    case 'date':
      return '2025-06-01';
    case 'date-time':
      return '2025-06-01T12:00:00Z';
    case 'email':
      return 'ada@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com';
    default:
      break;
  }
  const key = name.toLowerCase();
  if (key.includes('unit')) return 'celsius';
  if (key.includes('country')) return 'France';
  if (/city|location|place|destination|origin|address|region/.test(key)) return 'Paris';
  if (key.includes('date')) return '2025-06-01';
  if (key.includes('time')) return '12:00';
  if (key.includes('email')) return 'ada@example.com';
  if (key.includes('name')) return 'Ada';
  if (/query|search|text|prompt|question/.test(key)) return 'weather in Paris';
  return 'Paris';
}

function clamp(value: number, schema: Schema): number {
  const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : -Infinity;
  const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : Infinity;
  return Math.min(Math.max(value, min), max);
}

function firstType(schema: Schema): unknown {
  const type = schema['type'];
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? 'null';
  if (type !== undefined) return type;
  if (isSchema(schema['properties'])) return 'object';
  if (schema['items'] !== undefined) return 'array';
  return 'string';
}

function valueFor(schema: unknown, name: string, depth: number): unknown {
  if (!isSchema(schema)) return stringFor({}, name);
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  if (schema['const'] !== undefined) return schema['const'];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const pick: unknown = options.find((o) => !(isSchema(o) && o['type'] === 'null')) ?? options[0];
      return valueFor(pick, name, depth);
    }
  }
  switch (firstType(schema)) {
    case 'integer':
      return Math.round(clamp(3, schema));
    case 'number':
      return clamp(21.5, schema);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return depth >= MAX_DEPTH ? [] : [valueFor(schema['items'], name, depth + 1)];
    case 'object':
      return depth >= MAX_DEPTH ? {} : objectFor(schema, depth + 1);
    default:
      return stringFor(schema, name);
  }
}

/** The required properties (all of them when none is marked required), each with a plausible value. */
function objectFor(schema: Schema, depth: number): Record<string, unknown> {
  const properties = isSchema(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'].filter((r): r is string => typeof r === 'string') : [];
  const names = required.length > 0 ? required : Object.keys(properties);
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = valueFor(properties[name], name, depth);
  return out;
}

export function argumentsFor(parameters: unknown): string {
  return JSON.stringify(isSchema(parameters) ? objectFor(parameters, 0) : {});
}

/** The arguments JSON in at least three fragments (when it has three characters), as streams carry it. */
export function splitArguments(json: string): string[] {
  const size = Math.max(1, Math.ceil(json.length / Math.max(3, Math.ceil(json.length / 12))));
  const fragments: string[] = [];
  for (let i = 0; i < json.length; i += size) fragments.push(json.slice(i, i + size));
  return fragments;
}
