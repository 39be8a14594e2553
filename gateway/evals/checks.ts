/**
 * An eval case's expectations, checked against one answer: each kind (contains, contains_any, regex,
 * json_schema, tool_call, max_latency_ms, max_cost_usd) passes or gives a reason a person can act on.
 * Regexes and JSON Schemas are compiled once per case, here and nowhere else, so the suite loader
 * refuses exactly what a check could not run.
 */
import { Ajv, type ValidateFunction } from 'ajv';

export interface EvalExpectation {
  /** Every string must appear in the answer text (case-sensitive). */
  contains?: string[];
  /** At least one must appear. */
  contains_any?: string[];
  /** JS regex source, tested against the answer text. */
  regex?: string;
  /** The answer text parses as JSON and validates against this schema. */
  json_schema?: Record<string, unknown> | boolean;
  /** The answer calls this function, with arguments that parse as JSON. */
  tool_call?: string;
  max_latency_ms?: number;
  max_cost_usd?: number;
}

/** What the checks look at: the parsed answer body and what the gateway said about it. */
export interface CheckedAnswer {
  body: unknown;
  latencyMs: number;
  costUsd: number | undefined;
}

/** The reasons the answer fails; empty when it passes. */
export type AnswerCheck = (answer: CheckedAnswer) => string[];

// Unknown keywords and formats are ignored rather than refused: a suite's schema is about the answer's shape.
const ajv = new Ajv({ allErrors: true, strict: false, logger: false });

/** The compile error of a regex source, or undefined when it compiles. */
export function regexError(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The compile error of a JSON Schema, or undefined when ajv accepts it. */
export function schemaError(schema: Record<string, unknown> | boolean): string | undefined {
  try {
    ajv.compile(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

interface Message {
  content?: unknown;
  tool_calls?: { function?: { name?: unknown; arguments?: unknown } }[];
}

/** The first choice's message, if the body is a chat completion. */
function messageOf(body: unknown): Message | undefined {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return undefined;
  const message = (choices[0] as { message?: unknown } | undefined)?.message;
  return message !== null && typeof message === 'object' ? (message as Message) : undefined;
}

/** The answer's text: a string content, or the text parts of a list of parts. */
export function answerText(body: unknown): string {
  const content = messageOf(body)?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
}

const quoted = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function checkToolCall(name: string, body: unknown): string | undefined {
  const calls = messageOf(body)?.tool_calls ?? [];
  const call = calls.find((c) => c.function?.name === name);
  if (!call) {
    const names = calls.map((c) => String(c.function?.name));
    return names.length === 0 ? `no call to ${name}: the answer calls no tool` : `no call to ${name}: the answer calls ${names.join(', ')}`;
  }
  const args = call.function?.arguments;
  if (typeof args === 'string' && parseJson(args) !== undefined) return undefined;
  return `the call to ${name} has arguments that are not JSON: ${quoted(String(args))}`;
}

/** The checks of one case's expectations (regex and schema assumed valid: the loader checked them). */
export function compileChecks(expect: EvalExpectation): AnswerCheck {
  const regex = expect.regex !== undefined ? new RegExp(expect.regex) : undefined;
  const validate: ValidateFunction | undefined = expect.json_schema !== undefined ? ajv.compile(expect.json_schema) : undefined;
  return (answer) => {
    const reasons: string[] = [];
    const text = answerText(answer.body);
    for (const needle of expect.contains ?? []) if (!text.includes(needle)) reasons.push(`does not contain ${quoted(needle)}`);
    if (expect.contains_any && !expect.contains_any.some((needle) => text.includes(needle))) {
      reasons.push(`contains none of ${expect.contains_any.map(quoted).join(', ')}`);
    }
    if (regex && !regex.test(text)) reasons.push(`does not match /${expect.regex}/: ${quoted(text)}`);
    if (validate) {
      const json = parseJson(text);
      if (json === undefined) reasons.push(`is not JSON: ${quoted(text)}`);
      else if (!validate(json.value))
        reasons.push(`does not match the JSON schema: ${ajv.errorsText(validate.errors, { dataVar: 'answer' })}`);
    }
    if (expect.tool_call !== undefined) {
      const problem = checkToolCall(expect.tool_call, answer.body);
      if (problem) reasons.push(problem);
    }
    if (expect.max_latency_ms !== undefined && answer.latencyMs > expect.max_latency_ms) {
      reasons.push(`took ${Math.round(answer.latencyMs)} ms, over ${expect.max_latency_ms} ms`);
    }
    if (expect.max_cost_usd !== undefined) {
      if (answer.costUsd === undefined) reasons.push('cost unknown: the gateway reported none');
      else if (answer.costUsd > expect.max_cost_usd) reasons.push(`cost $${answer.costUsd}, over $${expect.max_cost_usd}`);
    }
    return reasons;
  };
}
