/**
 * Checks that what an adapter hands the client has OpenAI's shape. The required keys and enums of
 * CreateChatCompletionResponse, CreateChatCompletionStreamResponse, CreateCompletionResponse and
 * CreateEmbeddingResponse are checked by hand here; when test/support/openapi.ts (the spec-driven
 * validator) is present, the same values are also validated against the spec schemas themselves.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): boolean => Number.isInteger(v);
const isStr = (v: unknown): boolean => typeof v === 'string';
const chatReasons = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'];
const completionReasons = ['stop', 'length', 'content_filter'];
const roles = ['developer', 'system', 'user', 'assistant', 'tool'];

class Problems {
  readonly list: string[] = [];
  need(ok: boolean, what: string): void {
    if (!ok) this.list.push(what);
  }
}

function checkUsage(p: Problems, usage: unknown, where: string, completion: boolean): void {
  if (!isObj(usage)) return p.need(false, `${where} is not an object`);
  p.need(isInt(usage['prompt_tokens']), `${where}.prompt_tokens`);
  p.need(isInt(usage['total_tokens']), `${where}.total_tokens`);
  if (completion) p.need(isInt(usage['completion_tokens']), `${where}.completion_tokens`);
  for (const key of ['prompt_tokens_details', 'completion_tokens_details']) {
    if (key in usage) p.need(isObj(usage[key]), `${where}.${key} must be an object when present`);
  }
}

function checkEnvelope(p: Problems, doc: Json, object: string): void {
  p.need(isStr(doc['id']), 'id');
  p.need(doc['object'] === object, `object must be ${object}`);
  p.need(isInt(doc['created']), 'created');
  p.need(isStr(doc['model']), 'model');
  p.need(Array.isArray(doc['choices']), 'choices must be an array');
  if ('system_fingerprint' in doc) p.need(isStr(doc['system_fingerprint']), 'system_fingerprint must be a string when present');
}

function checkToolCall(p: Problems, call: unknown, where: string, chunk: boolean): void {
  if (!isObj(call)) return p.need(false, `${where} is not an object`);
  if (chunk) p.need(isInt(call['index']), `${where}.index`);
  const fn = call['function'];
  if (!chunk || 'id' in call) p.need(isStr(call['id']), `${where}.id`);
  if (!chunk || 'type' in call) p.need(call['type'] === 'function', `${where}.type`);
  if (!chunk) {
    p.need(isObj(fn) && isStr(fn['name']) && isStr(fn['arguments']), `${where}.function.name/arguments`);
  } else if ('function' in call) {
    p.need(isObj(fn), `${where}.function must be an object`);
    if (isObj(fn) && 'name' in fn) p.need(isStr(fn['name']), `${where}.function.name`);
    if (isObj(fn) && 'arguments' in fn) p.need(isStr(fn['arguments']), `${where}.function.arguments`);
  }
}

export function chatCompletionProblems(doc: unknown): string[] {
  const p = new Problems();
  if (!isObj(doc)) return ['not an object'];
  checkEnvelope(p, doc, 'chat.completion');
  if ('usage' in doc) checkUsage(p, doc['usage'], 'usage', true);
  (Array.isArray(doc['choices']) ? doc['choices'] : []).forEach((c: unknown, i) => {
    if (!isObj(c)) return p.need(false, `choices[${i}]`);
    p.need(isInt(c['index']), `choices[${i}].index`);
    p.need(chatReasons.includes(c['finish_reason'] as string), `choices[${i}].finish_reason`);
    p.need('logprobs' in c, `choices[${i}].logprobs required`);
    const m = c['message'];
    if (!isObj(m)) return p.need(false, `choices[${i}].message`);
    p.need(m['role'] === 'assistant', `choices[${i}].message.role`);
    p.need(m['content'] === null || isStr(m['content']), `choices[${i}].message.content`);
    p.need(m['refusal'] === null || isStr(m['refusal']), `choices[${i}].message.refusal`);
    if ('tool_calls' in m) {
      p.need(Array.isArray(m['tool_calls']), `choices[${i}].message.tool_calls must be an array`);
      (Array.isArray(m['tool_calls']) ? m['tool_calls'] : []).forEach((t: unknown, j) =>
        checkToolCall(p, t, `choices[${i}].message.tool_calls[${j}]`, false),
      );
    }
    if ('annotations' in m) p.need(Array.isArray(m['annotations']), `choices[${i}].message.annotations`);
    if ('function_call' in m) p.need(isObj(m['function_call']), `choices[${i}].message.function_call`);
    p.need(!('reasoning' in m), `choices[${i}].message.reasoning must be reasoning_content`);
  });
  return p.list;
}

export function chatChunkProblems(doc: unknown): string[] {
  const p = new Problems();
  if (!isObj(doc)) return ['not an object'];
  checkEnvelope(p, doc, 'chat.completion.chunk');
  if ('usage' in doc && doc['usage'] !== null) checkUsage(p, doc['usage'], 'usage', true);
  (Array.isArray(doc['choices']) ? doc['choices'] : []).forEach((c: unknown, i) => {
    if (!isObj(c)) return p.need(false, `choices[${i}]`);
    p.need(isInt(c['index']), `choices[${i}].index`);
    p.need(
      'finish_reason' in c && (c['finish_reason'] === null || chatReasons.includes(c['finish_reason'] as string)),
      `choices[${i}].finish_reason`,
    );
    const d = c['delta'];
    if (!isObj(d)) return p.need(false, `choices[${i}].delta`);
    if ('role' in d) p.need(roles.includes(d['role'] as string), `choices[${i}].delta.role`);
    if ('content' in d) p.need(d['content'] === null || isStr(d['content']), `choices[${i}].delta.content`);
    if ('tool_calls' in d) {
      p.need(Array.isArray(d['tool_calls']), `choices[${i}].delta.tool_calls must be an array`);
      (Array.isArray(d['tool_calls']) ? d['tool_calls'] : []).forEach((t: unknown, j) =>
        checkToolCall(p, t, `choices[${i}].delta.tool_calls[${j}]`, true),
      );
    }
    p.need(!('reasoning' in d), `choices[${i}].delta.reasoning must be reasoning_content`);
  });
  return p.list;
}

/** Legacy completions; in streams `finish_reason` is null until the end (OpenAI does the same). */
export function completionProblems(doc: unknown, stream: boolean): string[] {
  const p = new Problems();
  if (!isObj(doc)) return ['not an object'];
  checkEnvelope(p, doc, 'text_completion');
  if ('usage' in doc && !(stream && doc['usage'] === null)) checkUsage(p, doc['usage'], 'usage', true);
  (Array.isArray(doc['choices']) ? doc['choices'] : []).forEach((c: unknown, i) => {
    if (!isObj(c)) return p.need(false, `choices[${i}]`);
    p.need(isInt(c['index']), `choices[${i}].index`);
    p.need(isStr(c['text']), `choices[${i}].text`);
    p.need('logprobs' in c, `choices[${i}].logprobs required`);
    const reason = c['finish_reason'];
    p.need(completionReasons.includes(reason as string) || (stream && reason === null), `choices[${i}].finish_reason`);
  });
  return p.list;
}

export function embeddingsProblems(doc: unknown, encoding: 'float' | 'base64'): string[] {
  const p = new Problems();
  if (!isObj(doc)) return ['not an object'];
  p.need(doc['object'] === 'list', 'object must be list');
  p.need(isStr(doc['model']), 'model');
  checkUsage(p, doc['usage'], 'usage', false);
  const data = doc['data'];
  p.need(Array.isArray(data), 'data must be an array');
  (Array.isArray(data) ? data : []).forEach((e: unknown, i) => {
    if (!isObj(e)) return p.need(false, `data[${i}]`);
    p.need(e['object'] === 'embedding', `data[${i}].object`);
    p.need(isInt(e['index']), `data[${i}].index`);
    const v = e['embedding'];
    p.need(
      encoding === 'base64' ? isStr(v) : Array.isArray(v) && v.every((x) => typeof x === 'number'),
      `data[${i}].embedding must be ${encoding}`,
    );
  });
  return p.list;
}

export type SchemaValidator = (name: string, value: unknown) => string[];

/**
 * The spec validator from test/support/openapi.ts, when another part of the suite has provided it;
 * undefined otherwise (the hand checks above still run).
 */
export async function loadSpecValidator(): Promise<SchemaValidator | undefined> {
  const url = new URL('../../support/openapi.ts', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const mod: unknown = await import(pathToFileURL(fileURLToPath(url)).href);
  if (isObj(mod) && typeof mod['validateSchema'] === 'function') {
    const validate = mod['validateSchema'] as (name: string, value: unknown) => unknown;
    return (name, value) => {
      const result = validate(name, value);
      return Array.isArray(result) ? result.map(String) : [];
    };
  }
  return undefined;
}
