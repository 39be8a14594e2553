/**
 * A Responses request's `input` (and array `instructions`) into Chat Completions messages. Items
 * differ from messages in three ways: a tool call is an item of its own (`function_call`), not a
 * member of an assistant message, so consecutive calls are gathered into one assistant message; its
 * result is a `function_call_output` item (a `tool` message); and content parts have their own names
 * (`input_text`, `input_image`, `output_text`, `refusal`). Reasoning items are the model's own notes
 * and have no Chat Completions form: they are dropped. Items that name state only OpenAI keeps
 * (`item_reference`, a `file_id`) or that built-in tools produce mark the request native-only.
 */
import { isRecord, type JsonObject } from '../../shared/json.js';
import { DoorRequestError } from '../../front-door.js';

/** What translating the input found, besides the messages: why only a native upstream could answer. */
export interface InputFindings {
  readonly nativeOnly: string[];
}

const messageRoles: ReadonlySet<string> = new Set(['user', 'assistant', 'system', 'developer']);

/** Item types that only the server that produced them can take back (built-in tools, references). */
function nativeOnlyItem(type: string): boolean {
  return type !== 'message' && type !== 'function_call' && type !== 'function_call_output' && type !== 'reasoning';
}

function requireString(value: unknown, param: string, what: string): string {
  if (typeof value !== 'string') throw new DoorRequestError(`${param} must be a string (${what}).`, param);
  return value;
}

/** One content part of a message into a chat part; undefined when it needs a native upstream. */
function contentPart(part: unknown, param: string, findings: InputFindings): JsonObject | undefined {
  if (!isRecord(part)) throw new DoorRequestError(`${param} must be an object with a 'type'.`, param);
  const type = part['type'];
  switch (type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: requireString(part['text'], `${param}.text`, 'the text of the part') };
    case 'refusal':
      return { type: 'text', text: requireString(part['refusal'], `${param}.refusal`, 'the refusal text') };
    case 'input_image': {
      const url = part['image_url'];
      if (typeof url === 'string') {
        const image: JsonObject = { url };
        if (typeof part['detail'] === 'string') image['detail'] = part['detail'];
        return { type: 'image_url', image_url: image };
      }
      if (typeof part['file_id'] === 'string') {
        findings.nativeOnly.push(`${param}.file_id`);
        return undefined;
      }
      throw new DoorRequestError(`${param} needs an 'image_url' (a URL or a data: URL) or a 'file_id'.`, `${param}.image_url`);
    }
    case 'input_file': {
      if (typeof part['file_data'] === 'string') {
        const file: JsonObject = { file_data: part['file_data'] };
        if (typeof part['filename'] === 'string') file['filename'] = part['filename'];
        return { type: 'file', file };
      }
      findings.nativeOnly.push(`${param}.type`);
      return undefined;
    }
    default:
      throw new DoorRequestError(
        `${param}.type must be one of input_text, input_image, input_file, output_text, refusal; got ${JSON.stringify(type)}.`,
        `${param}.type`,
      );
  }
}

/** A message's content as chat content: text stays a string; parts become chat parts. */
function messageContent(content: unknown, role: string, param: string, findings: InputFindings): string | JsonObject[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new DoorRequestError(`${param} must be a string or an array of content parts.`, param);
  const parts: JsonObject[] = [];
  content.forEach((part: unknown, i) => {
    const translated = contentPart(part, `${param}[${i}]`, findings);
    if (translated) parts.push(translated);
  });
  // Assistant, system and developer messages take text only on most servers: join their parts.
  if (role !== 'user') {
    const texts: string[] = [];
    parts.forEach((part, i) => {
      if (part['type'] !== 'text') throw new DoorRequestError(`${role} messages take text parts only.`, `${param}[${i}].type`);
      texts.push(part['text'] as string);
    });
    return texts.join('');
  }
  return parts;
}

/** A function call's output: a string, or parts of which only text translates. */
function toolOutput(output: unknown, param: string, findings: InputFindings): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw new DoorRequestError(`${param} must be a string or an array of content parts.`, param);
  let text = '';
  output.forEach((part: unknown, i) => {
    if (isRecord(part) && part['type'] === 'input_text' && typeof part['text'] === 'string') text += part['text'];
    else findings.nativeOnly.push(`${param}[${i}]`);
  });
  return text;
}

/** Appends one item's chat message(s) to `messages`. */
function addItem(item: unknown, param: string, messages: JsonObject[], findings: InputFindings): void {
  if (!isRecord(item)) throw new DoorRequestError(`${param} must be an object (a message or another input item).`, param);
  const type = item['type'] ?? (item['role'] !== undefined ? 'message' : undefined);
  if (typeof type !== 'string') throw new DoorRequestError(`${param}.type must be a string such as 'message'.`, `${param}.type`);
  if (type === 'message') {
    const role = item['role'];
    if (typeof role !== 'string' || !messageRoles.has(role)) {
      throw new DoorRequestError(`${param}.role must be one of user, assistant, system, developer.`, `${param}.role`);
    }
    // `developer` is OpenAI's newer name for `system`; servers other than OpenAI know only `system`.
    const chatRole = role === 'developer' ? 'system' : role;
    messages.push({ role: chatRole, content: messageContent(item['content'], role, `${param}.content`, findings) });
    return;
  }
  if (type === 'function_call') {
    const call = {
      id: requireString(item['call_id'], `${param}.call_id`, 'the id the output refers to'),
      type: 'function',
      function: {
        name: requireString(item['name'], `${param}.name`, 'the function called'),
        arguments: requireString(item['arguments'], `${param}.arguments`, 'the arguments as JSON text'),
      },
    };
    const last = messages[messages.length - 1];
    if (last !== undefined && last['role'] === 'assistant') {
      const calls = Array.isArray(last['tool_calls']) ? (last['tool_calls'] as unknown[]) : [];
      last['tool_calls'] = [...calls, call];
      return;
    }
    messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    return;
  }
  if (type === 'function_call_output') {
    messages.push({
      role: 'tool',
      tool_call_id: requireString(item['call_id'], `${param}.call_id`, 'the call_id of the function_call it answers'),
      content: toolOutput(item['output'], `${param}.output`, findings),
    });
    return;
  }
  if (nativeOnlyItem(type)) findings.nativeOnly.push(`${param}.type`);
  // Reasoning items carry the model's own notes, which a chat request cannot take: dropped.
}

/** `input` (a string or an array of items) as chat messages, appended to `messages`. */
export function inputMessages(input: unknown, param: string, messages: JsonObject[], findings: InputFindings): void {
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return;
  }
  if (!Array.isArray(input)) throw new DoorRequestError(`${param} must be a string or an array of input items.`, param);
  input.forEach((item: unknown, i) => addItem(item, `${param}[${i}]`, messages, findings));
}
