/**
 * A Messages API request, checked as Anthropic checks it and then read by the shared request reader.
 * Anthropic refuses what its schema forbids with a 400 `invalid_request_error` whose message starts
 * with the field's dotted path (`max_tokens: Field required`, `messages.0.role: Input should be 'user'
 * or 'assistant'`); the checks here are the ones a translating gateway could get wrong: a missing
 * `max_tokens`, a system role inside `messages`, a temperature above 1, a `tool_result` that does not
 * answer a `tool_use` of the turn before, a final assistant turn ending in whitespace. The request is
 * then rewritten into OpenAI's shape (system as the first message, tool_use as tool_calls, tool_result
 * as tool messages) so that sim/request.ts derives the same prompt hash, tool choice, caps, stop
 * strings and prefill as for the OpenAI kinds: the same conversation gets the same answer.
 */
import { isRecord, isRejection, parseCompletionRequest, type CompletionRequest, type Rejection } from '../../request.js';
import { hashString, HASH_SEED } from '../../random.js';

export interface MessagesRequest extends CompletionRequest {
  /** Tokens of the prompt up to its last `cache_control` breakpoint (0 when there is none). */
  cacheablePrefixTokens: number;
  /** Identifies that prefix, for telling a cache write from a cache read. */
  cacheablePrefixHash: number;
}

type Body = Record<string, unknown>;

const reject = (message: string): Rejection => ({ status: 400, message, param: null });

function checkShape(body: Body, countOnly: boolean): Rejection | undefined {
  const required = countOnly ? ['model', 'messages'] : ['model', 'max_tokens', 'messages'];
  for (const field of required) if (body[field] === undefined) return reject(`${field}: Field required`);
  if (typeof body['model'] !== 'string') return reject('model: Input should be a valid string');
  const max = body['max_tokens'];
  if (!countOnly && !Number.isInteger(max)) return reject('max_tokens: Input should be a valid integer');
  if (!countOnly && (max as number) < 1) return reject('max_tokens: Input should be greater than or equal to 1');
  const temperature = body['temperature'];
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 1)) {
    return reject('temperature: Input should be less than or equal to 1');
  }
  const messages = body['messages'];
  if (!Array.isArray(messages)) return reject('messages: Input should be a valid list');
  if (messages.length === 0) return reject('messages: at least one message is required');
  return undefined;
}

function checkMessages(messages: readonly unknown[]): Rejection | undefined {
  let previousToolUses = new Set<string>();
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!isRecord(message)) return reject(`messages.${i}: Input should be a valid dictionary`);
    const role = message['role'];
    if (role !== 'user' && role !== 'assistant') return reject(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const content = message['content'];
    if (typeof content !== 'string' && !Array.isArray(content))
      return reject(`messages.${i}.content: Input should be a valid string or list`);
    const toolUses = new Set<string>();
    if (Array.isArray(content)) {
      for (let k = 0; k < content.length; k++) {
        const block: unknown = content[k];
        if (!isRecord(block) || typeof block['type'] !== 'string')
          return reject(`messages.${i}.content.${k}: Input should be a valid dictionary`);
        if (block['type'] === 'tool_use' && typeof block['id'] === 'string') toolUses.add(block['id']);
        if (block['type'] === 'tool_result' && !(typeof block['tool_use_id'] === 'string' && previousToolUses.has(block['tool_use_id']))) {
          return reject(
            `messages.${i}.content.${k}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block['tool_use_id'])}. ` +
              'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
          );
        }
      }
    }
    previousToolUses = toolUses;
    if (i === messages.length - 1 && role === 'assistant' && /\s$/.test(textOf(content))) {
      return reject('messages: final assistant content cannot end with trailing whitespace');
    }
  }
  return undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const block of content) if (isRecord(block) && block['type'] === 'text' && typeof block['text'] === 'string') text += block['text'];
  return text;
}

/** One Anthropic message as the OpenAI messages the shared reader understands. */
function openAIMessagesOf(message: Body): Body[] {
  const role = message['role'] as string;
  const content = message['content'];
  if (typeof content === 'string') return [{ role, content }];
  const blocks = content as Body[];
  const out: Body[] = [];
  const parts: Body[] = [];
  const toolCalls: Body[] = [];
  for (const block of blocks) {
    if (block['type'] === 'tool_result') {
      out.push({
        role: 'tool',
        tool_call_id: block['tool_use_id'],
        content: typeof block['content'] === 'string' ? block['content'] : textOf(block['content']),
      });
    } else if (block['type'] === 'tool_use') {
      toolCalls.push({
        id: block['id'],
        type: 'function',
        function: { name: block['name'], arguments: JSON.stringify(block['input'] ?? {}) },
      });
    } else if (block['type'] === 'text') {
      parts.push({ type: 'text', text: block['text'] });
    } else {
      parts.push(block); // images and the rest: hashed, not counted
    }
  }
  // All-text turns read as a string, as the OpenAI side writes them (and as prefill needs).
  const allText = parts.every((p) => p['type'] === 'text');
  if (parts.length > 0 || toolCalls.length > 0) {
    const turn: Body = { role, content: allText ? parts.map((p) => p['text']).join('') : parts };
    if (toolCalls.length > 0) turn['tool_calls'] = toolCalls;
    out.push(turn);
  }
  return out;
}

function toolChoiceOf(choice: unknown): unknown {
  if (!isRecord(choice)) return undefined;
  switch (choice['type']) {
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice['name'] } };
    default:
      return 'auto';
  }
}

/** The prompt up to the last block marked `cache_control` (system, tools, then messages, Anthropic's order). */
function cacheablePrefix(body: Body): { tokens: number; hash: number } {
  let chars = 0;
  let hash = HASH_SEED;
  let marked = { tokens: 0, hash: 0 };
  const visit = (block: unknown): void => {
    if (!isRecord(block)) return;
    const text = typeof block['text'] === 'string' ? block['text'] : JSON.stringify(block);
    chars += text.length;
    hash = hashString(text, hash);
    if (isRecord(block['cache_control'])) marked = { tokens: Math.ceil(chars / 4), hash };
  };
  if (Array.isArray(body['tools'])) body['tools'].forEach(visit);
  if (Array.isArray(body['system'])) body['system'].forEach(visit);
  else if (typeof body['system'] === 'string') visit({ text: body['system'] });
  for (const message of body['messages'] as unknown[]) {
    const content = isRecord(message) ? message['content'] : undefined;
    if (Array.isArray(content)) content.forEach(visit);
    else if (typeof content === 'string') visit({ text: content });
  }
  return marked;
}

/** `countOnly`: a count_tokens body, which has no `max_tokens` (and is never generated from). */
export function parseMessagesRequest(body: unknown, countOnly = false): MessagesRequest | Rejection {
  if (!isRecord(body)) return reject('The request body must be a JSON object');
  const problem = checkShape(body, countOnly) ?? checkMessages(body['messages'] as unknown[]);
  if (problem) return problem;
  const messages: Body[] = [];
  const system = body['system'];
  if (typeof system === 'string' || Array.isArray(system))
    messages.push({ role: 'system', content: typeof system === 'string' ? system : textOf(system) });
  for (const message of body['messages'] as Body[]) messages.push(...openAIMessagesOf(message));
  const tools = Array.isArray(body['tools'])
    ? body['tools'].filter(isRecord).map((t) => ({ type: 'function', function: { name: t['name'], parameters: t['input_schema'] } }))
    : undefined;
  const openAI: Body = {
    model: body['model'],
    messages,
    ...(countOnly ? {} : { max_tokens: body['max_tokens'] }),
    stream: !countOnly && body['stream'] === true,
    ...(tools ? { tools, tool_choice: toolChoiceOf(body['tool_choice']) } : {}),
    ...(Array.isArray(body['stop_sequences']) ? { stop: body['stop_sequences'] } : {}),
  };
  const request = parseCompletionRequest('chat', openAI, 'last_assistant');
  if (isRejection(request)) return request;
  const prefix = cacheablePrefix(body);
  return { ...request, cacheablePrefixTokens: Math.min(prefix.tokens, request.promptTokens), cacheablePrefixHash: prefix.hash };
}
