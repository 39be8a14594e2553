/**
 * The client's OpenAI chat request as an Anthropic Messages request. What changes and why:
 * - `system` and `developer` messages are lifted into the top-level `system` (Anthropic has no system
 *   role in `messages`), joined in order; a part carrying `cache_control` keeps it, as a text block.
 * - `max_tokens` is required: the client's `max_completion_tokens` (preferred) or `max_tokens`, else
 *   the provider's `default_max_tokens` (settings.ts says why 4096).
 * - Content parts become blocks: `image_url` data URLs a base64 image, http(s) URLs a url image;
 *   assistant `tool_calls` become `tool_use` blocks with parsed `input`; `tool` messages become
 *   `tool_result` blocks in a user turn (consecutive user-side turns merge, tool results first, since
 *   Anthropic wants turns to alternate). `cache_control` on parts and tools is passed through.
 * - `tools[].function` becomes `{name, description, input_schema}`; `tool_choice` auto/required/none/
 *   named becomes auto/any/none/tool; `parallel_tool_calls: false` becomes `disable_parallel_tool_use`.
 * - `stop` becomes `stop_sequences`; `temperature` is clamped to Anthropic's 0..1; `user` becomes
 *   `metadata.user_id`; `response_format` json_schema becomes `output_config.format`.
 * What Anthropic cannot do (n > 1, audio or file parts, custom tools) is refused as a bad request here
 * rather than sent to fail upstream. Credentials are not translation: auth.ts adds them.
 */
import type { ClientRequest, ProviderIdentity, StreamProgress, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { defaultMaxTokens, type AnthropicSettings } from './settings.js';
import type { ContentBlockParam, ImageBlockParam, MessageParam, TextBlockParam, ToolChoice, ToolParam } from './wire.js';
import { anthropicVersion } from './wire.js';

export const messagesPath = '/v1/messages';

const isArray = (value: unknown): value is readonly unknown[] => Array.isArray(value);

/** Media types Anthropic's image blocks accept. */
const imageMediaTypes: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** A request Anthropic cannot serve: refused before it is sent, as the client's fault. */
export function badRequest(message: string, param: string | null): UpstreamError {
  return new UpstreamError(upstreamErrorOf('bad_request', message, { code: null, param }));
}

export function upstreamHeaders(provider: ProviderIdentity & AnthropicSettings, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': provider.anthropic_version ?? anthropicVersion,
  };
  if (provider.beta !== undefined && provider.beta.length > 0) headers['anthropic-beta'] = provider.beta.join(',');
  // Static header names were lower-cased at load: a configured one replaces ours of the same name.
  return { ...headers, ...provider.headers };
}

export function buildRequest(req: ClientRequest, target: UpstreamTarget<AnthropicSettings>): UpstreamHttpRequest {
  if (req.operation !== 'chat') throw badRequest(`Anthropic's Messages API serves chat only, not ${req.operation}`, null);
  return {
    method: 'POST',
    path: messagesPath,
    headers: upstreamHeaders(target.provider, req.stream),
    body: JSON.stringify(messagesBody(req, target)),
  };
}

/**
 * Continue an answer another deployment broke off: the conversation plus the partial answer as the
 * final assistant turn, which Anthropic continues (its prefill). Anthropic refuses a final assistant
 * turn that ends in whitespace, so trailing whitespace is left for the model to write again. The cap
 * shrinks by what the client already has.
 */
export function buildContinuation(
  req: ClientRequest,
  prefix: StreamProgress,
  target: UpstreamTarget<AnthropicSettings>,
): UpstreamHttpRequest | undefined {
  if (req.operation !== 'chat' || !prefix.continuable) return undefined;
  const body = messagesBody(req, target);
  const text = prefix.text.trimEnd();
  if (text !== '') {
    const last = body.messages.at(-1);
    if (last?.role === 'assistant') last.content = [...blocksOf(last.content), { type: 'text', text }];
    else body.messages.push({ role: 'assistant', content: text });
  }
  body.max_tokens = Math.max(1, body.max_tokens - prefix.contentChunks);
  return {
    method: 'POST',
    path: messagesPath,
    headers: upstreamHeaders(target.provider, true),
    body: JSON.stringify({ ...body, stream: true }),
  };
}

type Body = { model: string; max_tokens: number; messages: MessageParam[] } & JsonObject;

export function messagesBody(req: ClientRequest, target: UpstreamTarget<AnthropicSettings>): Body {
  const client = req.body;
  if (typeof client['n'] === 'number' && client['n'] > 1) throw badRequest('Anthropic returns one choice per request: n must be 1', 'n');
  const { system, messages } = conversationOf(client['messages']);
  const cap = client['max_completion_tokens'] ?? client['max_tokens'];
  const body: Body = {
    model: target.model,
    max_tokens: typeof cap === 'number' ? cap : (target.provider.default_max_tokens ?? defaultMaxTokens),
    messages,
  };
  if (system !== undefined) body['system'] = system;
  const stop = client['stop'];
  if (typeof stop === 'string') body['stop_sequences'] = [stop];
  else if (isArray(stop) && stop.length > 0) body['stop_sequences'] = stop;
  const temperature = client['temperature'];
  // OpenAI's range is 0..2, Anthropic's 0..1: the nearest value it accepts.
  if (typeof temperature === 'number') body['temperature'] = Math.min(1, temperature);
  if (typeof client['top_p'] === 'number') body['top_p'] = client['top_p'];
  const user = client['safety_identifier'] ?? client['user'];
  if (typeof user === 'string') body['metadata'] = { user_id: user };
  const tools = toolsOf(client['tools']);
  if (tools.length > 0) {
    body['tools'] = tools;
    const choice = toolChoiceOf(client['tool_choice'], client['parallel_tool_calls']);
    if (choice !== undefined) body['tool_choice'] = choice;
  }
  const format = client['response_format'];
  if (
    isRecord(format) &&
    format['type'] === 'json_schema' &&
    isRecord(format['json_schema']) &&
    format['json_schema']['schema'] !== undefined
  ) {
    body['output_config'] = { format: { type: 'json_schema', schema: format['json_schema']['schema'] } };
  }
  if (req.stream) body['stream'] = true;
  return body;
}

// ---- messages -------------------------------------------------------------------------------------

interface Conversation {
  system: string | TextBlockParam[] | undefined;
  messages: MessageParam[];
}

function conversationOf(value: unknown): Conversation {
  if (!isArray(value) || value.length === 0) throw badRequest("'messages' must be a non-empty array", 'messages');
  const system: TextBlockParam[] = [];
  const messages: MessageParam[] = [];
  value.forEach((message, i) => {
    if (!isRecord(message)) throw badRequest(`messages[${i}] must be an object`, `messages[${i}]`);
    const role = message['role'];
    if (role === 'system' || role === 'developer') {
      system.push(...textBlocksOf(message['content'], `messages[${i}].content`));
      return;
    }
    const turn = turnOf(message, i);
    if (turn !== undefined) append(messages, turn);
  });
  return { system: systemOf(system), messages };
}

/** Plain text stays a string; blocks only when one carries `cache_control`. */
function systemOf(blocks: TextBlockParam[]): string | TextBlockParam[] | undefined {
  if (blocks.length === 0) return undefined;
  if (blocks.some((b) => b.cache_control !== undefined)) return blocks;
  return blocks.map((b) => b.text).join('\n\n');
}

/** Consecutive turns of one role become one turn (Anthropic alternates user and assistant). */
function append(messages: MessageParam[], turn: MessageParam): void {
  const last = messages.at(-1);
  if (last === undefined || last.role !== turn.role) {
    messages.push(turn);
    return;
  }
  last.content = [...blocksOf(last.content), ...blocksOf(turn.content)];
}

function blocksOf(content: string | ContentBlockParam[]): ContentBlockParam[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function turnOf(message: JsonObject, i: number): MessageParam | undefined {
  const where = `messages[${i}]`;
  switch (message['role']) {
    case 'user': {
      const content = message['content'];
      if (typeof content === 'string') return { role: 'user', content };
      return { role: 'user', content: userBlocksOf(content, `${where}.content`) };
    }
    case 'assistant':
      return assistantTurnOf(message, where);
    case 'tool': {
      const id = message['tool_call_id'];
      if (typeof id !== 'string') throw badRequest(`${where}.tool_call_id is required`, `${where}.tool_call_id`);
      const content = message['content'];
      const result = typeof content === 'string' ? content : textBlocksOf(content, `${where}.content`);
      return { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: result }] };
    }
    default:
      throw badRequest(`${where}.role '${String(message['role'])}' is not supported by Anthropic`, `${where}.role`);
  }
}

function assistantTurnOf(message: JsonObject, where: string): MessageParam | undefined {
  const content = message['content'];
  const blocks: ContentBlockParam[] =
    typeof content === 'string'
      ? content === ''
        ? []
        : [{ type: 'text', text: content }]
      : textBlocksOf(content ?? [], `${where}.content`);
  const calls = message['tool_calls'];
  if (isArray(calls)) {
    calls.forEach((call, k) => {
      const fn = isRecord(call) ? call['function'] : undefined;
      if (!isRecord(call) || !isRecord(fn) || typeof call['id'] !== 'string' || typeof fn['name'] !== 'string') {
        throw badRequest(`${where}.tool_calls[${k}] needs an id and a function name`, `${where}.tool_calls`);
      }
      const args = typeof fn['arguments'] === 'string' && fn['arguments'].trim() !== '' ? tryParseJson(fn['arguments']) : {};
      if (!isRecord(args)) throw badRequest(`${where}.tool_calls[${k}].function.arguments is not a JSON object`, `${where}.tool_calls`);
      blocks.push({ type: 'tool_use', id: call['id'], name: fn['name'], input: args });
    });
  }
  // An assistant turn with nothing in it is refused by Anthropic; it says nothing, so it is dropped.
  if (blocks.length === 0) return undefined;
  const only = blocks[0];
  if (blocks.length === 1 && only?.type === 'text' && only.cache_control === undefined) return { role: 'assistant', content: only.text };
  return { role: 'assistant', content: blocks };
}

/** Text (and refusal) parts: a string, or `[{type:"text", text, cache_control?}]`. */
function textBlocksOf(content: unknown, where: string): TextBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!isArray(content)) throw badRequest(`${where} must be a string or an array of parts`, where);
  const blocks: TextBlockParam[] = [];
  content.forEach((part, k) => {
    if (!isRecord(part)) throw badRequest(`${where}[${k}] must be an object`, where);
    const text = part['type'] === 'refusal' ? part['refusal'] : part['text'];
    if ((part['type'] !== 'text' && part['type'] !== 'refusal') || typeof text !== 'string') {
      throw badRequest(`${where}[${k}]: only text parts are allowed here`, where);
    }
    blocks.push(withCacheControl({ type: 'text', text }, part));
  });
  return blocks;
}

function userBlocksOf(content: unknown, where: string): ContentBlockParam[] {
  if (!isArray(content)) throw badRequest(`${where} must be a string or an array of parts`, where);
  return content.map((part, k): ContentBlockParam => {
    if (!isRecord(part)) throw badRequest(`${where}[${k}] must be an object`, where);
    if (part['type'] === 'text' && typeof part['text'] === 'string') return withCacheControl({ type: 'text', text: part['text'] }, part);
    if (part['type'] === 'image_url') return withCacheControl(imageOf(part['image_url'], `${where}[${k}]`), part);
    throw badRequest(`${where}[${k}]: Anthropic accepts text and image parts, not ${String(part['type'])}`, where);
  });
}

const dataUrl = /^data:([^;,]+);base64,(.*)$/s;

function imageOf(value: unknown, where: string): ImageBlockParam {
  const url = isRecord(value) ? value['url'] : undefined;
  if (typeof url !== 'string') throw badRequest(`${where}.image_url.url is required`, where);
  const data = dataUrl.exec(url);
  if (data) {
    const mediaType = data[1]!.toLowerCase();
    if (!imageMediaTypes.has(mediaType))
      throw badRequest(`${where}: Anthropic accepts jpeg, png, gif and webp images, not ${mediaType}`, where);
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: data[2]! } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badRequest(`${where}.image_url.url must be an http(s) URL or a base64 data URL`, where);
}

function withCacheControl<B extends ContentBlockParam>(block: B, part: JsonObject): B {
  const cache = part['cache_control'];
  return isRecord(cache) ? { ...block, cache_control: cache as B['cache_control'] } : block;
}

// ---- tools ----------------------------------------------------------------------------------------

function toolsOf(value: unknown): ToolParam[] {
  if (!isArray(value)) return [];
  return value.map((tool, k): ToolParam => {
    const fn = isRecord(tool) ? tool['function'] : undefined;
    if (!isRecord(tool) || tool['type'] !== 'function' || !isRecord(fn) || typeof fn['name'] !== 'string') {
      throw badRequest(`tools[${k}]: Anthropic accepts function tools only`, 'tools');
    }
    const out: ToolParam = { name: fn['name'], input_schema: fn['parameters'] ?? { type: 'object', properties: {} } };
    if (typeof fn['description'] === 'string') out.description = fn['description'];
    const cache = tool['cache_control'] ?? fn['cache_control'];
    if (isRecord(cache)) out.cache_control = cache as ToolParam['cache_control'];
    return out;
  });
}

function toolChoiceOf(choice: unknown, parallel: unknown): ToolChoice | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...single };
  if (isRecord(choice) && choice['type'] === 'function' && isRecord(choice['function']) && typeof choice['function']['name'] === 'string') {
    return { type: 'tool', name: choice['function']['name'], ...single };
  }
  if (choice === 'auto') return { type: 'auto', ...single };
  if (choice === undefined || choice === null) return parallel === false ? { type: 'auto', ...single } : undefined;
  throw badRequest(`tool_choice ${JSON.stringify(choice)} has no Anthropic equivalent`, 'tool_choice');
}
