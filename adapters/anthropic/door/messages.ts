/**
 * A Messages API conversation (`system` + `messages`) checked and turned into OpenAI chat messages.
 * How Anthropic differs: `system` is a top-level string or list of text blocks, not a message; content
 * is typed blocks; an assistant's tool calls are `tool_use` blocks with an object `input` (OpenAI:
 * `tool_calls` with a JSON string); tool results are `tool_result` blocks inside the next user turn
 * (OpenAI: one `tool` message each, which must follow the assistant's calls, so they go before the
 * rest of that user turn). Thinking blocks in history and `cache_control` are dropped (an OpenAI
 * server has no use for them); blocks with no OpenAI form (documents, server-tool calls and results,
 * images inside tool results) mark the request as answerable by an Anthropic deployment only.
 */
import { DoorRequestError } from '../../front-door.js';
import { isRecord, type JsonObject } from '../../shared/json.js';

/** Why the request can only go to a deployment that speaks the Messages API; empty when any can answer. */
export type NativeReasons = string[];

/** Content block types the Messages API has that no OpenAI server could take: Anthropic deployments only. */
const nativeOnlyBlocks: ReadonlySet<string> = new Set([
  'document',
  'search_result',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'container_upload',
]);

const userBlocks = 'text, image, tool_result, document';
const assistantBlocks = 'text, tool_use, thinking, redacted_thinking';

const imageMediaTypes: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function refuse(message: string, param: string): never {
  throw new DoorRequestError(message, param);
}

function requireString(block: JsonObject, key: string, where: string): string {
  const value = block[key];
  if (typeof value !== 'string') refuse(`${where}.${key} must be a string`, `${where}.${key}`);
  return value;
}

/** `system`: a string or a list of text blocks, as one OpenAI system message. */
export function systemMessageOf(system: unknown): JsonObject | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === 'string') return system === '' ? undefined : { role: 'system', content: system };
  if (!Array.isArray(system)) refuse('system must be a string or a list of text blocks', 'system');
  const texts = system.map((block: unknown, k) => {
    if (!isRecord(block) || block['type'] !== 'text')
      refuse(`system[${k}] must be a text block ({"type":"text","text":...})`, `system[${k}].type`);
    return requireString(block, 'text', `system[${k}]`);
  });
  return texts.length === 0 ? undefined : { role: 'system', content: texts.join('\n\n') };
}

/** `messages` as OpenAI chat messages, in order. */
export function messagesOf(value: unknown, native: NativeReasons): JsonObject[] {
  if (!Array.isArray(value)) refuse('messages must be a list of {role, content} messages', 'messages');
  if (value.length === 0) refuse('messages must contain at least one message', 'messages');
  const out: JsonObject[] = [];
  value.forEach((message: unknown, i) => {
    const where = `messages[${i}]`;
    if (!isRecord(message)) refuse(`${where} must be an object with role and content`, where);
    const role = message['role'];
    if (role !== 'user' && role !== 'assistant') {
      const hint = role === 'system' ? ': put system instructions in the top-level `system` field' : '';
      refuse(`${where}.role must be 'user' or 'assistant', not ${JSON.stringify(role)}${hint}`, `${where}.role`);
    }
    const content = message['content'];
    if (typeof content === 'string') {
      out.push({ role, content });
      return;
    }
    if (!Array.isArray(content)) refuse(`${where}.content must be a string or a list of content blocks`, `${where}.content`);
    if (role === 'user') out.push(...userTurnOf(content, `${where}.content`, native));
    else out.push(...assistantTurnOf(content, `${where}.content`, native));
  });
  return out;
}

function blockAt(content: readonly unknown[], k: number, where: string): JsonObject {
  const block = content[k];
  if (!isRecord(block)) refuse(`${where}[${k}] must be a content block object`, `${where}[${k}]`);
  if (typeof block['type'] !== 'string') refuse(`${where}[${k}].type is required`, `${where}[${k}].type`);
  return block;
}

/** Tool results first (one `tool` message each, in order), then the turn's other content as one user message. */
function userTurnOf(content: readonly unknown[], where: string, native: NativeReasons): JsonObject[] {
  const tools: JsonObject[] = [];
  const parts: JsonObject[] = [];
  content.forEach((_, k) => {
    const at = `${where}[${k}]`;
    const block = blockAt(content, k, where);
    const type = block['type'] as string;
    if (type === 'text') parts.push({ type: 'text', text: requireString(block, 'text', at) });
    else if (type === 'image') {
      const part = imagePartOf(block, at, native);
      if (part !== undefined) parts.push(part);
    } else if (type === 'tool_result') tools.push(toolMessageOf(block, at, native));
    else if (nativeOnlyBlocks.has(type)) {
      if (type === 'document' && !isRecord(block['source'])) refuse(`${at}.source is required on a document block`, `${at}.source`);
      native.push(`${at} is a ${type} block`);
    } else if (type === 'tool_use' || type === 'thinking' || type === 'redacted_thinking') {
      refuse(`${at}.type '${type}' belongs in an assistant turn, not a user turn`, `${at}.type`);
    } else refuse(`${at}.type '${type}' is not a user content block (expected ${userBlocks})`, `${at}.type`);
  });
  if (parts.length === 0) return tools;
  return [...tools, { role: 'user', content: parts.every((p) => p['type'] === 'text') && parts.length === 1 ? parts[0]!['text'] : parts }];
}

/** Text joined into `content`, `tool_use` blocks as `tool_calls`; thinking blocks are dropped. */
function assistantTurnOf(content: readonly unknown[], where: string, native: NativeReasons): JsonObject[] {
  let text: string | null = null;
  const calls: JsonObject[] = [];
  content.forEach((_, k) => {
    const at = `${where}[${k}]`;
    const block = blockAt(content, k, where);
    const type = block['type'] as string;
    if (type === 'text') text = (text ?? '') + requireString(block, 'text', at);
    else if (type === 'tool_use') {
      const id = requireString(block, 'id', at);
      const name = requireString(block, 'name', at);
      if (!isRecord(block['input'])) refuse(`${at}.input must be an object (the tool's arguments)`, `${at}.input`);
      calls.push({ id, type: 'function', function: { name, arguments: JSON.stringify(block['input']) } });
    } else if (type === 'thinking') {
      requireString(block, 'thinking', at);
    } else if (type === 'redacted_thinking') {
      requireString(block, 'data', at);
    } else if (nativeOnlyBlocks.has(type)) native.push(`${at} is a ${type} block`);
    else if (type === 'tool_result' || type === 'image' || type === 'document') {
      refuse(`${at}.type '${type}' belongs in a user turn, not an assistant turn`, `${at}.type`);
    } else refuse(`${at}.type '${type}' is not an assistant content block (expected ${assistantBlocks})`, `${at}.type`);
  });
  if (text === null && calls.length === 0) return [];
  const message: JsonObject = { role: 'assistant', content: text };
  if (calls.length > 0) message['tool_calls'] = calls;
  return [message];
}

/** An image block as an `image_url` part: base64 data as a data: URL, a url source as it is; none for a Files API image. */
function imagePartOf(block: JsonObject, where: string, native: NativeReasons): JsonObject | undefined {
  const source = block['source'];
  if (!isRecord(source)) refuse(`${where}.source is required on an image block`, `${where}.source`);
  if (source['type'] === 'base64') {
    const mediaType = requireString(source, 'media_type', `${where}.source`);
    if (!imageMediaTypes.has(mediaType)) {
      refuse(
        `${where}.source.media_type must be image/jpeg, image/png, image/gif or image/webp, not ${mediaType}`,
        `${where}.source.media_type`,
      );
    }
    const data = requireString(source, 'data', `${where}.source`);
    return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${data}` } };
  }
  if (source['type'] === 'url') return { type: 'image_url', image_url: { url: requireString(source, 'url', `${where}.source`) } };
  if (source['type'] === 'file') {
    requireString(source, 'file_id', `${where}.source`);
    native.push(`${where} is an image from Anthropic's Files API`);
    return undefined;
  }
  refuse(`${where}.source.type must be 'base64', 'url' or 'file'`, `${where}.source.type`);
}

/** A tool result as a `tool` message; its text blocks joined. An error result says so in its text. */
function toolMessageOf(block: JsonObject, where: string, native: NativeReasons): JsonObject {
  const id = requireString(block, 'tool_use_id', where);
  const content = block['content'];
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    content.forEach((_, k) => {
      const inner = blockAt(content, k, `${where}.content`);
      const at = `${where}.content[${k}]`;
      if (inner['type'] === 'text') text += requireString(inner, 'text', at);
      else if (inner['type'] === 'image' || inner['type'] === 'document' || inner['type'] === 'search_result') {
        native.push(`${at} is a ${String(inner['type'])} inside a tool result`);
      } else refuse(`${at}.type must be 'text', 'image', 'document' or 'search_result'`, `${at}.type`);
    });
  } else if (content !== undefined && content !== null) {
    refuse(`${where}.content must be a string or a list of blocks`, `${where}.content`);
  }
  const isError = block['is_error'];
  if (isError !== undefined && typeof isError !== 'boolean') refuse(`${where}.is_error must be a boolean`, `${where}.is_error`);
  // OpenAI's tool message has no error flag: the model learns of the failure from the text.
  return { role: 'tool', tool_call_id: id, content: isError === true ? `Error: ${text}` : text };
}
