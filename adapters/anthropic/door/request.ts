/**
 * A client's Messages API body (POST /v1/messages and /v1/messages/count_tokens) checked and turned
 * into the core's OpenAI chat request, the client's own kept beside it as `native`. Beyond the
 * conversation (messages.ts), Anthropic differs in: `max_tokens` is required; tools are
 * `{name, description, input_schema}` (OpenAI: `{type:"function", function:{name, description,
 * parameters}}`), and typed ones (`web_search_20250305`, `bash_…`, `text_editor_…`) are Anthropic's own
 * server or built-in tools; `tool_choice` is an object (`any` is OpenAI's `required`, `tool` a named
 * function) and carries `disable_parallel_tool_use`; `stop_sequences` is `stop`; `metadata.user_id` is
 * `user`. `top_k` has no OpenAI field and is dropped; extended `thinking`, `container` and
 * `mcp_servers` cannot be translated, so such a request goes to Anthropic deployments only.
 */
import { DoorRequestError, type DoorRequest } from '../../front-door.js';
import type { ClientRequest, Operation, UpstreamHeaders } from '../../types.js';
import { isRecord, type JsonObject } from '../../shared/json.js';
import { messagesOf, systemMessageOf, type NativeReasons } from './messages.js';

/** Top-level fields whose features only Anthropic has: present (and not null), they pin the request to Anthropic deployments. */
const nativeOnlyFields = ['container', 'mcp_servers', 'context_management'] as const;

function refuse(message: string, param: string): never {
  throw new DoorRequestError(message, param);
}

function optionalNumber(body: Readonly<JsonObject>, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    refuse(`${key} must be a number from ${min} to ${max}`, key);
  }
  return value;
}

function headerText(headers: UpstreamHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) return value.length > 0 ? value.join(',') : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Custom tools as function tools; Anthropic's typed tools (server and built-in) have no OpenAI form. */
function toolsOf(value: unknown, native: NativeReasons): JsonObject[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) refuse('tools must be a list of tool definitions', 'tools');
  const tools: JsonObject[] = [];
  value.forEach((tool: unknown, k) => {
    const where = `tools[${k}]`;
    if (!isRecord(tool)) refuse(`${where} must be an object`, where);
    const type = tool['type'];
    if (type !== undefined && type !== null && type !== 'custom') {
      if (typeof type !== 'string') refuse(`${where}.type must be a string`, `${where}.type`);
      native.push(`${where} is Anthropic's ${type} tool`);
      return;
    }
    const name = tool['name'];
    if (typeof name !== 'string' || name === '') refuse(`${where}.name is required`, `${where}.name`);
    const schema = tool['input_schema'];
    if (!isRecord(schema)) refuse(`${where}.input_schema is required: a JSON Schema object for the tool's input`, `${where}.input_schema`);
    const description = tool['description'];
    if (description !== undefined && typeof description !== 'string')
      refuse(`${where}.description must be a string`, `${where}.description`);
    const fn: JsonObject = { name, parameters: schema };
    if (description !== undefined) fn['description'] = description;
    if (typeof tool['strict'] === 'boolean') fn['strict'] = tool['strict'];
    tools.push({ type: 'function', function: fn });
  });
  return tools;
}

/** `tool_choice` as OpenAI's `tool_choice` and `parallel_tool_calls` fields. */
function toolChoiceOf(value: unknown): JsonObject {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) refuse('tool_choice must be an object such as {"type":"auto"}', 'tool_choice');
  const parallel = value['disable_parallel_tool_use'];
  if (parallel !== undefined && typeof parallel !== 'boolean') {
    refuse('tool_choice.disable_parallel_tool_use must be a boolean', 'tool_choice.disable_parallel_tool_use');
  }
  const fields: JsonObject = parallel === true ? { parallel_tool_calls: false } : {};
  switch (value['type']) {
    case 'auto':
      return { tool_choice: 'auto', ...fields };
    case 'any':
      return { tool_choice: 'required', ...fields };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool': {
      const name = value['name'];
      if (typeof name !== 'string' || name === '')
        refuse("tool_choice.name is required when tool_choice.type is 'tool'", 'tool_choice.name');
      return { tool_choice: { type: 'function', function: { name } }, ...fields };
    }
    default:
      return refuse(`tool_choice.type must be 'auto', 'any', 'tool' or 'none', not ${JSON.stringify(value['type'])}`, 'tool_choice.type');
  }
}

function stopOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) refuse('stop_sequences must be a list of strings', 'stop_sequences');
  value.forEach((s: unknown, k) => {
    if (typeof s !== 'string' || s === '') refuse(`stop_sequences[${k}] must be a non-empty string`, `stop_sequences[${k}]`);
  });
  return value.length > 0 ? (value as string[]) : undefined;
}

function userOf(metadata: unknown): string | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (!isRecord(metadata)) refuse('metadata must be an object', 'metadata');
  const user = metadata['user_id'];
  if (user === undefined || user === null) return undefined;
  if (typeof user !== 'string') refuse('metadata.user_id must be a string', 'metadata.user_id');
  return user;
}

/** Extended thinking: `disabled` is the default; `enabled` (or any other mode) only Anthropic has. */
function checkThinking(value: unknown, native: NativeReasons): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value) || typeof value['type'] !== 'string')
    refuse('thinking must be an object such as {"type":"enabled","budget_tokens":2048}', 'thinking');
  if (value['type'] === 'disabled') return;
  if (value['type'] === 'enabled') {
    const budget = value['budget_tokens'];
    if (!Number.isInteger(budget) || (budget as number) < 1)
      refuse('thinking.budget_tokens must be a positive integer', 'thinking.budget_tokens');
  }
  native.push(`thinking is ${value['type']}`);
}

/** The OpenAI chat body for a Messages body, and why (if at all) only Anthropic can answer it. */
export function translateMessagesBody(body: Readonly<JsonObject>, operation: Operation): { openai: JsonObject; native: NativeReasons } {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') refuse('model is required: the route to use, as a string', 'model');
  const native: NativeReasons = [];
  const openai: JsonObject = { model };
  const system = systemMessageOf(body['system']);
  openai['messages'] = system === undefined ? messagesOf(body['messages'], native) : [system, ...messagesOf(body['messages'], native)];
  if (operation === 'chat') {
    const max = body['max_tokens'];
    if (max === undefined || max === null) refuse('max_tokens is required: the most tokens the answer may have', 'max_tokens');
    if (!Number.isInteger(max) || (max as number) < 1) refuse('max_tokens must be a positive integer', 'max_tokens');
    openai['max_tokens'] = max;
  }
  const temperature = optionalNumber(body, 'temperature', 0, 1);
  if (temperature !== undefined) openai['temperature'] = temperature;
  const topP = optionalNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) openai['top_p'] = topP;
  const topK = body['top_k'];
  if (topK !== undefined && topK !== null && (!Number.isInteger(topK) || (topK as number) < 0))
    refuse('top_k must be a non-negative integer', 'top_k');
  const stop = stopOf(body['stop_sequences']);
  if (stop !== undefined) openai['stop'] = stop;
  const user = userOf(body['metadata']);
  if (user !== undefined) openai['user'] = user;
  const tools = toolsOf(body['tools'], native);
  const choice = toolChoiceOf(body['tool_choice']);
  if (tools.length > 0) Object.assign(openai, { tools }, choice);
  checkThinking(body['thinking'], native);
  for (const field of nativeOnlyFields) if (body[field] !== undefined && body[field] !== null) native.push(`${field} is set`);
  const stream = body['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') refuse('stream must be a boolean', 'stream');
  if (stream === true && operation === 'chat') {
    openai['stream'] = true;
    // Always: the door reports usage in message_delta, whether or not the client would have asked.
    openai['stream_options'] = { include_usage: true };
  }
  return { openai, native };
}

/** The door's accept(): the core's request, with the client's body as `native`. */
export function acceptMessages(body: Readonly<JsonObject>, raw: Buffer, headers: UpstreamHeaders, operation: Operation): DoorRequest {
  const { openai, native } = translateMessagesBody(body, operation);
  const stream = openai['stream'] === true;
  const beta = headerText(headers, 'anthropic-beta');
  const request: ClientRequest = {
    operation,
    body: openai,
    raw: Buffer.from(JSON.stringify(openai)),
    stream,
    includeUsage: true,
    native: {
      wire: 'anthropic-messages',
      body,
      raw,
      headers: beta === undefined ? {} : { 'anthropic-beta': beta },
      required: operation === 'count_tokens' || native.length > 0,
      requiredBy: native,
    },
  };
  return { model: openai['model'] as string, stream, request };
}
