/**
 * The prompt of a request as one string, for prefix affinity: what the router hashes into blocks
 * (gpu-pool/prefix-hash.ts). It need not be the text the server's chat template produces, only a
 * deterministic stand-in with the same prefix structure: two requests whose conversations share their
 * first turns share a leading run of this string, and a conversation that grows by turns renders to a
 * string that extends the earlier one (each message is rendered alone and they are only appended).
 *
 * - Chat Completions (`messages`): per message `role\n` + its text — string content, or the text parts of
 *   an array content (an image part as its URL, other media as a marker), then its tool calls as
 *   `name(arguments)` — messages joined with a separator. The request's `tools`, when present, come first
 *   (servers' chat templates put them in the system prompt, ahead of the conversation).
 * - Responses (`input`): a string as it is, an array of items like messages.
 * - Legacy Completions (`prompt`): a string, or an array of strings (or of token ids) joined.
 *
 * Anything malformed renders as what can be read of it (or `''`); it never throws.
 */

/** Between two messages: a control character a prompt rarely holds, so turn boundaries stay distinct. */
const MESSAGE_SEPARATOR = '\n\u001e\n';
/** Between the parts of one message's content. */
const PART_SEPARATOR = '\n';

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** JSON of a value that may be anything (cycles, BigInt): '' when it cannot be written. */
function json(value: unknown): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

function partText(part: unknown): string {
  if (typeof part === 'string') return part;
  if (!isObject(part)) return '';
  if (typeof part['text'] === 'string') return part['text']; // text, input_text, output_text
  switch (part['type']) {
    case 'image_url': {
      const image = part['image_url'];
      return isObject(image) ? str(image['url']) : str(image);
    }
    case 'input_image':
      return str(part['image_url']) || str(part['file_id']) || '[image]';
    case 'input_audio':
      return '[audio]';
    case 'file':
    case 'input_file': {
      const file = part['file'];
      return (isObject(file) ? str(file['file_id']) || str(file['filename']) : str(part['file_id'])) || '[file]';
    }
    case 'refusal':
      return str(part['refusal']);
    default:
      return '';
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (let i = 0; i < content.length; i += 1) {
    if (i > 0) out += PART_SEPARATOR;
    out += partText(content[i]);
  }
  return out;
}

function callText(call: unknown): string {
  if (!isObject(call)) return '';
  const fn = isObject(call['function']) ? call['function'] : call; // chat tool_calls, or a legacy function_call / Responses item
  const args = fn['arguments'];
  return `${str(fn['name'])}(${typeof args === 'string' ? args : json(args)})`;
}

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (!isObject(message)) return '';
  const role = str(message['role']) || str(message['type']);
  let out = `${role}\n${contentText(message['content'])}`;
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) for (const call of calls) out += PART_SEPARATOR + callText(call);
  if (message['function_call'] !== undefined) out += PART_SEPARATOR + callText(message['function_call']);
  if (message['type'] === 'function_call') out += PART_SEPARATOR + callText(message);
  if (message['type'] === 'function_call_output') out += PART_SEPARATOR + str(message['output']);
  return out;
}

function messagesText(messages: readonly unknown[], tools: unknown): string {
  let out = '';
  if (Array.isArray(tools) && tools.length > 0) out = `tools\n${json(tools)}`;
  for (const message of messages) {
    if (out !== '') out += MESSAGE_SEPARATOR;
    out += messageText(message);
  }
  return out;
}

function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (!Array.isArray(prompt)) return '';
  const parts: string[] = [];
  for (const item of prompt) {
    if (typeof item === 'string') parts.push(item);
    else if (typeof item === 'number') parts.push(String(item));
    else if (Array.isArray(item)) parts.push(item.filter((t) => typeof t === 'number').join(' ')); // token ids
  }
  return parts.join(PART_SEPARATOR);
}

/** The request body's prompt as one string (see the module comment); '' when it has none. */
export function renderPrompt(body: Readonly<Record<string, unknown>>): string {
  try {
    if (!isObject(body)) return '';
    const messages = body['messages'];
    if (Array.isArray(messages)) return messagesText(messages, body['tools']);
    const input = body['input'];
    if (typeof input === 'string') return input;
    if (Array.isArray(input)) return messagesText(input, body['tools']);
    return promptText(body['prompt']);
  } catch {
    return ''; // a getter that throws, a Proxy: junk renders as nothing
  }
}
