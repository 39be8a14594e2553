/**
 * A client's Responses API request into the core's Chat Completions request (the door's accept()).
 * `instructions` become the first system message and `input` the messages after it (input.ts);
 * function tools and tool choice are reshaped (tools.ts); `max_output_tokens` is the chat
 * `max_completion_tokens` (profiles that read `max_tokens` only rename it, request.ts next door);
 * `text.format` is `response_format`, `reasoning.effort` is `reasoning_effort`; streams always ask for
 * usage. `metadata`, `truncation`, `include` and other Responses-only settings have no chat form and
 * are dropped. What needs OpenAI's stored state or tools (`previous_response_id`, `conversation`,
 * `store: true`, `background`, prompt templates, built-in tools, item references) sets
 * `native.required`: only a deployment that speaks the Responses API can answer it.
 */
import type { ClientRequest, UpstreamHeaders } from '../../types.js';
import { DoorRequestError, type DoorRequest } from '../../front-door.js';
import { isRecord, type JsonObject } from '../../shared/json.js';
import { inputMessages, type InputFindings } from './input.js';
import { chatToolChoice, chatTools } from './tools.js';

type Body = Readonly<Record<string, unknown>>;

const present = (value: unknown): boolean => value !== undefined && value !== null;

function numberIn(body: Body, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (!present(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new DoorRequestError(`${key} must be a number from ${min} to ${max}.`, key);
  }
  return value;
}

function booleanOf(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (!present(value)) return undefined;
  if (typeof value !== 'boolean') throw new DoorRequestError(`${key} must be true or false.`, key);
  return value;
}

function stringOf(body: Body, key: string): string | undefined {
  const value = body[key];
  if (!present(value)) return undefined;
  if (typeof value !== 'string') throw new DoorRequestError(`${key} must be a string.`, key);
  return value;
}

/** `text.format` as `response_format`; undefined for plain text. */
function responseFormat(text: unknown): JsonObject | undefined {
  if (!present(text)) return undefined;
  if (!isRecord(text)) throw new DoorRequestError("text must be an object such as {format: {type: 'text'}}.", 'text');
  const format = text['format'];
  if (!present(format)) return undefined;
  if (!isRecord(format)) throw new DoorRequestError('text.format must be an object with a type.', 'text.format');
  switch (format['type']) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (typeof format['name'] !== 'string') throw new DoorRequestError('text.format.name must name the schema.', 'text.format.name');
      if (!isRecord(format['schema'])) throw new DoorRequestError('text.format.schema must be a JSON Schema object.', 'text.format.schema');
      const schema: JsonObject = { name: format['name'], schema: format['schema'] };
      if (typeof format['description'] === 'string') schema['description'] = format['description'];
      if (typeof format['strict'] === 'boolean') schema['strict'] = format['strict'];
      return { type: 'json_schema', json_schema: schema };
    }
    default:
      throw new DoorRequestError('text.format.type must be text, json_object or json_schema.', 'text.format.type');
  }
}

/** Responses settings that need OpenAI's stored state, in the order the error names them. */
function statefulSettings(body: Body, findings: InputFindings): void {
  if (present(body['previous_response_id'])) findings.nativeOnly.push('previous_response_id');
  if (present(body['conversation'])) findings.nativeOnly.push('conversation');
  if (booleanOf(body, 'store') === true) findings.nativeOnly.push('store');
  if (booleanOf(body, 'background') === true) findings.nativeOnly.push('background');
  if (present(body['prompt'])) findings.nativeOnly.push('prompt');
}

/** The Chat Completions body for a Responses body, and what makes the request native-only. */
export function translateRequest(body: Body): { chat: JsonObject; findings: InputFindings } {
  const model = body['model'];
  if (typeof model !== 'string' || model === '')
    throw new DoorRequestError('model is required: the route to send the request to.', 'model');
  const findings: InputFindings = { nativeOnly: [] };
  statefulSettings(body, findings);
  const messages: JsonObject[] = [];
  const instructions = body['instructions'];
  if (typeof instructions === 'string') messages.push({ role: 'system', content: instructions });
  else if (Array.isArray(instructions)) inputMessages(instructions, 'instructions', messages, findings);
  else if (present(instructions)) throw new DoorRequestError('instructions must be a string.', 'instructions');
  const input = body['input'];
  if (present(input)) inputMessages(input, 'input', messages, findings);
  else if (!present(body['previous_response_id']) && !present(body['conversation']) && !present(body['prompt'])) {
    throw new DoorRequestError('input is required: a string, or an array of messages and other input items.', 'input');
  }

  const chat: JsonObject = { model, messages };
  const tools = chatTools(body['tools'], findings);
  if (tools !== undefined && tools.length > 0) chat['tools'] = tools;
  const toolChoice = chatToolChoice(body['tool_choice'], findings);
  if (toolChoice !== undefined && tools !== undefined && tools.length > 0) chat['tool_choice'] = toolChoice;
  const parallel = booleanOf(body, 'parallel_tool_calls');
  if (parallel !== undefined && tools !== undefined && tools.length > 0) chat['parallel_tool_calls'] = parallel;

  const maxOutput = body['max_output_tokens'];
  if (present(maxOutput)) {
    if (!Number.isInteger(maxOutput) || (maxOutput as number) < 1) {
      throw new DoorRequestError('max_output_tokens must be a positive integer.', 'max_output_tokens');
    }
    chat['max_completion_tokens'] = maxOutput;
  }
  const temperature = numberIn(body, 'temperature', 0, 2);
  if (temperature !== undefined) chat['temperature'] = temperature;
  const topP = numberIn(body, 'top_p', 0, 1);
  if (topP !== undefined) chat['top_p'] = topP;
  const user = stringOf(body, 'user') ?? stringOf(body, 'safety_identifier');
  if (user !== undefined) chat['user'] = user;
  const format = responseFormat(body['text']);
  if (format !== undefined) chat['response_format'] = format;
  const reasoning = body['reasoning'];
  if (present(reasoning) && !isRecord(reasoning))
    throw new DoorRequestError("reasoning must be an object such as {effort: 'low'}.", 'reasoning');
  if (isRecord(reasoning) && present(reasoning['effort'])) {
    if (typeof reasoning['effort'] !== 'string') throw new DoorRequestError('reasoning.effort must be a string.', 'reasoning.effort');
    chat['reasoning_effort'] = reasoning['effort'];
  }
  if (booleanOf(body, 'stream') === true) {
    chat['stream'] = true;
    chat['stream_options'] = { include_usage: true };
  }
  return { chat, findings };
}

/** The door's accept(): validates, translates, and keeps the client's own body as `native`. */
export function acceptResponsesRequest(body: Body, raw: Buffer, _headers: UpstreamHeaders): DoorRequest {
  const { chat, findings } = translateRequest(body);
  const stream = chat['stream'] === true;
  const request: ClientRequest = {
    operation: 'chat',
    body: chat,
    raw: Buffer.from(JSON.stringify(chat)),
    stream,
    includeUsage: true,
    native: { wire: 'openai-responses', body, raw, headers: {}, required: findings.nativeOnly.length > 0, requiredBy: findings.nativeOnly },
  };
  return { model: chat['model'] as string, stream, request };
}
