/**
 * The client's OpenAI request as a Converse (or ConverseStream) request. Where Converse differs:
 * the model id is a path segment (percent-encoded whole: `:` and the `/` of ARNs included), not a body
 * member; `system`/`developer` messages go to a top-level `system` list; content is tagged blocks;
 * roles must alternate, so consecutive messages of one role are merged (tool results are user blocks,
 * and merge with the user message that follows them); tool calls carry their arguments as JSON, not
 * a string; sampling goes under `inferenceConfig`; `tool_choice: "none"` has no counterpart (tools are
 * left out), except that Bedrock refuses a conversation holding toolUse/toolResult blocks without a
 * `toolConfig`, so then the tools stay, without a choice (declared from the history if the client sent
 * none). Embeddings are InvokeModel calls in the model family's own body (embeddings.ts).
 * Credentials are not translation: authorize (auth.ts) signs the final request.
 */
import type { ClientRequest, ProviderIdentity, StreamProgress, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, safeJsonParse, type JsonObject } from '../shared/json.js';
import { embeddingsBody } from './embeddings.js';
import type { BedrockSettings } from './settings.js';
import type {
  ContentBlock,
  ConverseMessage,
  ConverseRequest,
  ImageFormat,
  InferenceConfig,
  ToolChoice,
  ToolConfig,
  ToolSpec,
} from './wire.js';

export const eventStreamType = 'application/vnd.amazon.eventstream';

/** `/model/{modelId}/{operation}`, the id as one percent-encoded segment (cross-region profiles and ARNs pass through). */
export function modelPath(model: string, operation: 'converse' | 'converse-stream' | 'invoke'): string {
  return `/model/${encodeURIComponent(model)}/${operation}`;
}

function headersFor(provider: ProviderIdentity, accept: string): Record<string, string> {
  return { 'content-type': 'application/json', accept, ...provider.headers };
}

export function buildRequest(req: ClientRequest, target: UpstreamTarget<BedrockSettings>): UpstreamHttpRequest {
  if (req.operation === 'embeddings') {
    return {
      method: 'POST',
      path: modelPath(target.model, 'invoke'),
      headers: headersFor(target.provider, 'application/json'),
      body: JSON.stringify(embeddingsBody(req.body, target.model)),
    };
  }
  if (req.operation !== 'chat') throw invalid(`Bedrock Converse serves chat only, not ${req.operation}`);
  return converseRequest(req, target, converseBody(req.body));
}

function converseRequest(req: ClientRequest, target: UpstreamTarget<BedrockSettings>, body: ConverseRequest): UpstreamHttpRequest {
  return {
    method: 'POST',
    path: modelPath(target.model, req.stream ? 'converse-stream' : 'converse'),
    headers: headersFor(target.provider, req.stream ? eventStreamType : 'application/json'),
    body: JSON.stringify(body),
  };
}

/**
 * Continue a broken-off answer: the conversation plus the partial answer as a final assistant message,
 * which Converse models that prefill (Claude) extend. Trailing whitespace is trimmed: Anthropic's models
 * refuse a final assistant turn that ends in it. The output cap shrinks by what was already sent.
 */
export function buildContinuation(
  req: ClientRequest,
  prefix: StreamProgress,
  target: UpstreamTarget<BedrockSettings>,
): UpstreamHttpRequest | undefined {
  if (req.operation !== 'chat' || !prefix.continuable) return undefined;
  const text = prefix.text.trimEnd();
  const body = converseBody(req.body);
  if (text !== '') appendMessage(body.messages, { role: 'assistant', content: [{ text }] });
  const cap = body.inferenceConfig?.maxTokens;
  if (cap !== undefined && body.inferenceConfig) body.inferenceConfig.maxTokens = Math.max(1, cap - prefix.contentChunks);
  return converseRequest({ ...req, stream: true }, target, body);
}

export function invalid(message: string, param: string | null = null): UpstreamError {
  return new UpstreamError(upstreamErrorOf('bad_request', message, { status: 400, code: null, param }));
}

/** The Converse body for an OpenAI chat body. Throws a `bad_request` UpstreamError for what Converse cannot say. */
export function converseBody(body: Readonly<JsonObject>): ConverseRequest {
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages)) throw invalid("'messages' must be an array", 'messages');
  const n = body['n'];
  if (typeof n === 'number' && n > 1) throw invalid('Bedrock Converse returns one choice: n must be 1', 'n');
  const system: NonNullable<ConverseRequest['system']> = [];
  const messages: ConverseMessage[] = [];
  const calledTools = new Set<string>();
  rawMessages.forEach((raw: unknown, i) => {
    if (!isRecord(raw)) throw invalid(`messages[${i}] must be an object`, `messages[${i}]`);
    const role = raw['role'];
    if (role === 'system' || role === 'developer') {
      const text = textOf(raw['content'], i);
      if (text !== '') system.push({ text });
      if (hasCacheControl(raw['content'])) system.push(cachePoint);
    } else if (role === 'user') appendMessage(messages, { role: 'user', content: userBlocks(raw['content'], i) });
    else if (role === 'assistant') {
      const content = assistantBlocks(raw, i);
      for (const block of content) if ('toolUse' in block) calledTools.add(block.toolUse.name);
      if (content.length > 0) appendMessage(messages, { role: 'assistant', content });
    } else if (role === 'tool') appendMessage(messages, { role: 'user', content: [toolResultBlock(raw, i)] });
    else throw invalid(`messages[${i}]: role '${String(role)}' is not supported by Bedrock Converse`, `messages[${i}].role`);
  });
  const out: ConverseRequest = { messages };
  if (system.length > 0) out.system = system;
  const inference = inferenceConfig(body);
  if (inference) out.inferenceConfig = inference;
  const historyHasTools = messages.some((m) => m.content.some((b) => 'toolUse' in b || 'toolResult' in b));
  const tools = toolConfig(body, historyHasTools, calledTools);
  if (tools) out.toolConfig = tools;
  return out;
}

/** Converse wants user and assistant turns in alternation: a message of the same role as the last joins it. */
function appendMessage(messages: ConverseMessage[], message: ConverseMessage): void {
  const last = messages.at(-1);
  if (last && last.role === message.role) last.content.push(...message.content);
  else messages.push({ role: message.role, content: [...message.content] });
}

/**
 * Anthropic-style `cache_control` on a text part (clients written for Claude send it; OpenAI ignores
 * it) marks a prompt-cache breakpoint: on Converse, a `cachePoint` block right after that text.
 */
const cachePoint = { cachePoint: { type: 'default' } } as const;

function hasCacheControl(content: unknown): boolean {
  return Array.isArray(content) && content.some((part: unknown) => isRecord(part) && isRecord(part['cache_control']));
}

function textOf(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw invalid(`messages[${i}].content must be a string or an array of parts`, `messages[${i}].content`);
  return content.map((part: unknown) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : '')).join('');
}

const dataUrl = /^data:image\/(png|jpeg|jpg|gif|webp);base64,(.+)$/s;

function userBlocks(content: unknown, i: number): ContentBlock[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw invalid(`messages[${i}].content must be a string or an array of parts`, `messages[${i}].content`);
  const blocks: ContentBlock[] = [];
  for (const part of content as unknown[]) {
    if (!isRecord(part)) continue;
    if (part['type'] === 'text' && typeof part['text'] === 'string') {
      blocks.push({ text: part['text'] });
      if (isRecord(part['cache_control'])) blocks.push(cachePoint);
    } else if (part['type'] === 'image_url') blocks.push(imageBlock(part['image_url'], i));
    else throw invalid(`messages[${i}]: content part type '${String(part['type'])}' is not supported by Bedrock Converse`);
  }
  return blocks;
}

/** Converse takes image bytes only (or S3 locations): a data URL maps, a web URL cannot. */
function imageBlock(image: unknown, i: number): ContentBlock {
  const url = isRecord(image) ? image['url'] : undefined;
  const match = typeof url === 'string' ? dataUrl.exec(url) : null;
  if (!match)
    throw invalid(`messages[${i}]: Bedrock Converse takes images as base64 data URLs only, not web URLs`, `messages[${i}].content`);
  const format = (match[1] === 'jpg' ? 'jpeg' : match[1]) as ImageFormat;
  return { image: { format, source: { bytes: match[2]! } } };
}

function assistantBlocks(message: JsonObject, i: number): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  const text = textOf(message['content'], i);
  // Converse refuses blank text blocks.
  if (text.trim() !== '') blocks.push({ text });
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) {
    for (const call of calls as unknown[]) {
      const fn = isRecord(call) ? call['function'] : undefined;
      if (!isRecord(call) || !isRecord(fn) || typeof call['id'] !== 'string' || typeof fn['name'] !== 'string')
        throw invalid(`messages[${i}].tool_calls: each call needs an id and a function name`, `messages[${i}].tool_calls`);
      blocks.push({ toolUse: { toolUseId: call['id'], name: fn['name'], input: argumentsOf(fn['arguments'], i) } });
    }
  }
  return blocks;
}

function argumentsOf(args: unknown, i: number): unknown {
  if (args === undefined || args === null || args === '') return {};
  if (typeof args !== 'string') return args;
  try {
    return safeJsonParse(args);
  } catch {
    throw invalid(`messages[${i}].tool_calls: arguments are not JSON, and Bedrock takes tool input as JSON`, `messages[${i}].tool_calls`);
  }
}

function toolResultBlock(message: JsonObject, i: number): ContentBlock {
  const id = message['tool_call_id'];
  if (typeof id !== 'string') throw invalid(`messages[${i}]: a tool message needs tool_call_id`, `messages[${i}].tool_call_id`);
  const text = textOf(message['content'], i);
  // An empty result is refused by some models; a single space says "nothing" without an error.
  return { toolResult: { toolUseId: id, content: [{ text: text === '' ? ' ' : text }] } };
}

function inferenceConfig(body: Readonly<JsonObject>): InferenceConfig | undefined {
  const config: InferenceConfig = {};
  const cap = body['max_completion_tokens'] ?? body['max_tokens'];
  if (typeof cap === 'number') config.maxTokens = cap;
  // Converse models take 0..1 where OpenAI allows 0..2: clamped (as the anthropic adapter does) rather than refused.
  if (typeof body['temperature'] === 'number') config.temperature = Math.min(1, Math.max(0, body['temperature']));
  if (typeof body['top_p'] === 'number') config.topP = body['top_p'];
  const stop = body['stop'];
  if (typeof stop === 'string') config.stopSequences = [stop];
  else if (Array.isArray(stop)) config.stopSequences = stop.filter((s): s is string => typeof s === 'string');
  return Object.keys(config).length > 0 ? config : undefined;
}

function toolConfig(body: Readonly<JsonObject>, historyHasTools: boolean, calledTools: ReadonlySet<string>): ToolConfig | undefined {
  const tools: ToolSpec[] = [];
  const declared = body['tools'];
  if (Array.isArray(declared)) {
    for (const tool of declared as unknown[]) {
      const fn = isRecord(tool) ? tool['function'] : undefined;
      if (!isRecord(tool) || tool['type'] !== 'function' || !isRecord(fn) || typeof fn['name'] !== 'string')
        throw invalid('Bedrock Converse takes function tools only', 'tools');
      const spec: ToolSpec['toolSpec'] = {
        name: fn['name'],
        inputSchema: { json: fn['parameters'] ?? { type: 'object', properties: {} } },
      };
      if (typeof fn['description'] === 'string' && fn['description'] !== '') spec.description = fn['description'];
      tools.push({ toolSpec: spec });
    }
  }
  const choice = body['tool_choice'];
  if (choice === 'none' || tools.length === 0) {
    if (!historyHasTools) return undefined;
    // The history's tools must be declared; a placeholder schema for any the client did not declare.
    for (const name of calledTools) {
      if (!tools.some((t) => t.toolSpec.name === name)) tools.push({ toolSpec: { name, inputSchema: { json: { type: 'object' } } } });
    }
    return tools.length > 0 ? { tools } : undefined;
  }
  const mapped = toolChoiceOf(choice);
  return mapped ? { tools, toolChoice: mapped } : { tools };
}

function toolChoiceOf(choice: unknown): ToolChoice | undefined {
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (isRecord(choice) && isRecord(choice['function']) && typeof choice['function']['name'] === 'string') {
    return { tool: { name: choice['function']['name'] } };
  }
  return undefined;
}
