/**
 * Body validation per OpenAI endpoint: the fields the gateway relies on, and the common fields whose
 * wrong type would otherwise come back as an upstream's less helpful error. Unknown fields pass
 * through untouched: the upstream decides about them.
 */
import type { OpenAIOperation } from '../../adapters/types.js';
import {
  type Body,
  invalidType,
  invalidValue,
  isObject,
  missing,
  optionalBoolean,
  optionalEnum,
  optionalNumber,
  optionalObject,
  optionalStop,
  optionalString,
  requireString,
  streamFlags,
} from './checks.js';

export interface ValidatedRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

const roles = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

function checkContent(message: Body, param: string, required: boolean): void {
  const c = message.content;
  if (c === undefined || c === null) {
    if (required) throw missing(`${param}.content`);
    return;
  }
  if (typeof c === 'string') return;
  if (!Array.isArray(c)) throw invalidType(`${param}.content`, 'a string or an array of content parts', c);
  c.forEach((part, j) => {
    if (!isObject(part)) throw invalidType(`${param}.content[${j}]`, 'an object', part);
    if (typeof part.type !== 'string') throw missing(`${param}.content[${j}].type`);
  });
}

function checkMessages(body: Body): void {
  const messages = body.messages;
  if (messages === undefined) throw missing('messages');
  if (!Array.isArray(messages)) throw invalidType('messages', 'an array', messages);
  if (messages.length === 0)
    throw invalidValue('messages', 'empty array. Expected an array with minimum length 1, but got an empty array instead.');
  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw invalidType(param, 'an object', m);
    const role = m.role;
    if (role === undefined) throw missing(`${param}.role`);
    if (typeof role !== 'string' || !roles.includes(role)) {
      throw invalidValue(
        `${param}.role`,
        `'${(typeof role === 'string' ? role : JSON.stringify(role)).slice(0, 32)}' is not one of ${roles.map((r) => `'${r}'`).join(', ')}.`,
      );
    }
    checkContent(m, param, role !== 'assistant' && role !== 'function');
    if (role === 'tool' && typeof m.tool_call_id !== 'string') {
      throw m.tool_call_id === undefined
        ? missing(`${param}.tool_call_id`)
        : invalidType(`${param}.tool_call_id`, 'a string', m.tool_call_id);
    }
    if (role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null && !Array.isArray(m.tool_calls)) {
      throw invalidType(`${param}.tool_calls`, 'an array', m.tool_calls);
    }
  });
}

function checkTools(body: Body): void {
  const tools = body.tools;
  if (tools !== undefined && tools !== null && !Array.isArray(tools)) throw invalidType('tools', 'an array', tools);
  (Array.isArray(tools) ? tools : []).forEach((t, i) => {
    if (!isObject(t)) throw invalidType(`tools[${i}]`, 'an object', t);
    if (t.type === 'function') {
      if (!isObject(t.function))
        throw t.function === undefined ? missing(`tools[${i}].function`) : invalidType(`tools[${i}].function`, 'an object', t.function);
      requireString(t.function, 'name', `tools[${i}].function.name`);
    } else if (t.type !== 'custom') {
      throw invalidValue(`tools[${i}].type`, `expected 'function' or 'custom', but got ${JSON.stringify(t.type)?.slice(0, 40)} instead.`);
    }
  });
  const choice = body.tool_choice;
  if (choice === undefined || choice === null) return;
  if (typeof choice === 'string') optionalEnum(body, 'tool_choice', ['none', 'auto', 'required']);
  else if (!isObject(choice)) throw invalidType('tool_choice', 'a string or an object', choice);
}

function checkResponseFormat(body: Body): void {
  const rf = optionalObject(body, 'response_format');
  if (!rf) return;
  optionalEnum(rf, 'type', ['text', 'json_object', 'json_schema'], 'response_format.type');
  if (rf.type === undefined) throw missing('response_format.type');
  if (rf.type === 'json_schema') {
    if (!isObject(rf.json_schema)) throw missing('response_format.json_schema');
    requireString(rf.json_schema, 'name', 'response_format.json_schema.name');
  }
}

function checkSampling(body: Body): void {
  optionalNumber(body, 'temperature', 0, 2);
  optionalNumber(body, 'top_p', 0, 1);
  optionalNumber(body, 'presence_penalty', -2, 2);
  optionalNumber(body, 'frequency_penalty', -2, 2);
  optionalNumber(body, 'max_tokens', 0, Number.MAX_SAFE_INTEGER, true);
  optionalNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  optionalStop(body);
  optionalString(body, 'user');
}

function chat(body: Body): ValidatedRequest {
  const model = requireString(body, 'model');
  checkMessages(body);
  checkSampling(body);
  optionalNumber(body, 'n', 1, 128, true);
  optionalNumber(body, 'max_completion_tokens', 0, Number.MAX_SAFE_INTEGER, true);
  optionalBoolean(body, 'logprobs');
  optionalNumber(body, 'top_logprobs', 0, 20, true);
  optionalBoolean(body, 'parallel_tool_calls');
  checkTools(body);
  checkResponseFormat(body);
  return { model, ...streamFlags(body) };
}

function completions(body: Body): ValidatedRequest {
  const model = requireString(body, 'model');
  const prompt = body.prompt;
  if (prompt === undefined) throw missing('prompt');
  if (typeof prompt !== 'string' && !Array.isArray(prompt)) throw invalidType('prompt', 'a string or an array', prompt);
  checkSampling(body);
  optionalNumber(body, 'n', 1, 128, true);
  optionalNumber(body, 'best_of', 0, 20, true);
  optionalNumber(body, 'logprobs', 0, 5, true);
  optionalBoolean(body, 'echo');
  optionalString(body, 'suffix');
  return { model, ...streamFlags(body) };
}

function embeddings(body: Body): ValidatedRequest {
  const model = requireString(body, 'model');
  const input = body.input;
  if (input === undefined) throw missing('input');
  if (typeof input !== 'string' && !Array.isArray(input)) throw invalidType('input', 'a string or an array', input);
  if (Array.isArray(input) && input.length === 0)
    throw invalidValue('input', 'empty array. Expected an array with minimum length 1, but got an empty array instead.');
  if (Array.isArray(input) && input.length > 2048)
    throw invalidValue('input', `array too long. Expected at most 2048 inputs, but got ${input.length} instead.`);
  optionalEnum(body, 'encoding_format', ['float', 'base64']);
  optionalNumber(body, 'dimensions', 1, 65_536, true);
  optionalString(body, 'user');
  if (body.stream !== undefined && body.stream !== false) throw invalidValue('stream', 'embeddings cannot be streamed.');
  return { model, stream: false, includeUsage: false };
}

export const validators: Readonly<Record<OpenAIOperation, (body: Body) => ValidatedRequest>> = { chat, completions, embeddings };
