/**
 * A chat or legacy completion request, read once into what the simulator needs: the prompt's hash
 * (the answer's seed), its size in tokens, the caps and stop strings, and the tool to call if the
 * answer is a tool call. Only what would make a real server answer 400 is rejected; unknown fields
 * are ignored, as both OpenAI and vLLM do.
 */
import { HASH_SEED, hashNumber, hashString } from './random.js';
import { pickTool, type ToolSpec } from './tools.js';
import type { SimPrefillStyle } from './types.js';

export type CompletionOperation = 'chat' | 'completions';

export interface CompletionRequest {
  operation: CompletionOperation;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  n: number;
  /** max_completion_tokens / max_tokens, when given. */
  maxTokens: number | undefined;
  stop: readonly string[];
  promptTokens: number;
  /** Hash of the prompt text and `seed`: the same request gets the same answer. */
  promptHash: number;
  /** The function to call when the answer is a tool call. */
  tool: ToolSpec | undefined;
  /** The partial assistant answer to continue, in the server's prefill style (not part of the hash). */
  prefill: string | undefined;
  /**
   * The prompt as text (messages rendered role and content, or the completion prompt), only when
   * asked for (`keepText`): the engine model (sim/engine/) tokenizes and block-hashes it.
   */
  promptText?: string;
}

export interface Rejection {
  status: number;
  message: string;
  param: string | null;
}

type Body = Record<string, unknown>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const reject = (message: string, param: string | null): Rejection => ({ status: 400, message, param });

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'status' in value && 'message' in value;
}

/** Folds a prompt's text into a hash and a character count, one pass, no copies. */
class PromptDigest {
  hash = HASH_SEED;
  chars = 0;
  /** The prompt's text, piece by piece, when kept. */
  readonly parts: string[] | undefined;

  constructor(keepText: boolean) {
    this.parts = keepText ? [] : undefined;
  }

  text(value: string): void {
    this.hash = hashString(value, this.hash);
    this.chars += value.length;
    this.parts?.push(value);
  }

  /** Message content: a string, or parts of which the text ones count (others only hash). */
  content(value: unknown): string {
    if (typeof value === 'string') {
      this.text(value);
      return value;
    }
    if (!Array.isArray(value)) return '';
    let joined = '';
    for (const part of value) {
      if (isRecord(part) && typeof part['text'] === 'string') {
        this.text(part['text']);
        joined += part['text'];
      } else if (part !== null && part !== undefined) {
        this.hash = hashString(JSON.stringify(part), this.hash);
      }
    }
    return joined;
  }

  tokens(): number {
    return Math.max(1, Math.ceil(this.chars / 4));
  }
}

function readMessages(body: Body, digest: PromptDigest): { role: string; text: string } | Rejection {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return reject("'messages' must be a non-empty array", 'messages');
  let last = { role: '', text: '' };
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isRecord(message) || typeof message['role'] !== 'string')
      return reject(`messages[${i}] must be an object with a string 'role'`, `messages[${i}]`);
    const role = message['role'];
    digest.hash = hashString(role, digest.hash);
    // Rendered as a chat template would, roughly: a role header before each message's content.
    digest.parts?.push(`<|${role}|>\n`);
    const text = digest.content(message['content']);
    if (message['tool_calls'] !== undefined) digest.hash = hashString(JSON.stringify(message['tool_calls']), digest.hash);
    last = { role, text };
  }
  return last;
}

/** A token id as four characters of text (the engine's tokenizer stand-in counts 4 characters a token). */
const tokenIdText = (id: number): string => (id >>> 0).toString(36).padStart(4, '0').slice(-4);

function readPrompt(body: Body, digest: PromptDigest): Rejection | undefined {
  const prompt = body['prompt'];
  const parts = Array.isArray(prompt) ? prompt : [prompt];
  if (prompt === undefined || prompt === null || parts.length === 0) return reject("'prompt' is required", 'prompt');
  let tokenIds = 0;
  for (const part of parts) {
    if (typeof part === 'string') digest.text(part);
    else if (typeof part === 'number' && Number.isInteger(part)) {
      digest.hash = hashNumber(part, digest.hash);
      digest.parts?.push(tokenIdText(part));
      tokenIds += 1;
    } else if (Array.isArray(part) && part.every((t) => Number.isInteger(t))) {
      for (const t of part as number[]) {
        digest.hash = hashNumber(t, digest.hash);
        digest.parts?.push(tokenIdText(t));
      }
      tokenIds += part.length;
    } else return reject("'prompt' must be a string, an array of strings, or token ids", 'prompt');
  }
  // Token ids are already tokens; text is estimated at four characters per token.
  digest.chars += tokenIds * 4;
  return undefined;
}

function readStop(value: unknown): string[] | Rejection {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string'))
    return reject("'stop' must be a string or an array of strings", 'stop');
  return (list as string[]).filter((s) => s !== '');
}

function readPositiveInt(body: Body, key: string, max: number): number | undefined | Rejection {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max)
    return reject(`'${key}' must be an integer between 1 and ${max}`, key);
  return value as number;
}

/**
 * A partial assistant answer to extend, in the server's style (types.ts, SimPrefillStyle): vLLM's
 * `continue_final_message`, a final assistant message as it is, or one with `prefix: true`. The
 * answer is the one the conversation without it would get, minus what the partial answer already says.
 */
function readContinuation(body: Body, style: SimPrefillStyle): { body: Body; prefill: string } | undefined | Rejection {
  const messages = body['messages'];
  const last: unknown = Array.isArray(messages) ? messages[messages.length - 1] : undefined;
  const finalAssistant = isRecord(last) && last['role'] === 'assistant';
  const partial = (): { body: Body; prefill: string } | Rejection =>
    isRecord(last) && typeof last['content'] === 'string'
      ? { body: { ...body, messages: (messages as unknown[]).slice(0, -1) }, prefill: last['content'] }
      : reject('the final assistant message to continue needs string content', 'messages');
  switch (style) {
    case 'continue_final_message':
      if (body['continue_final_message'] !== true) return undefined;
      if (body['add_generation_prompt'] !== false)
        return reject('Cannot set both `continue_final_message` and `add_generation_prompt` to True.', 'continue_final_message');
      if (!finalAssistant) return reject('continue_final_message needs a final assistant message with string content', 'messages');
      return partial();
    case 'last_assistant':
      return finalAssistant ? partial() : undefined;
    case 'prefix_flag':
      if (!finalAssistant) return undefined;
      if (last['prefix'] !== true)
        return reject('Expected last role user or tool (or assistant with prefix true) for serving but got assistant', 'messages');
      return partial();
    case 'none':
      if (finalAssistant || body['continue_final_message'] === true)
        return reject('The last message must have role user or tool: this server does not continue an assistant message', 'messages');
      return undefined;
  }
}

export function parseCompletionRequest(
  operation: CompletionOperation,
  body: unknown,
  prefillStyle: SimPrefillStyle = 'continue_final_message',
  keepText = false,
): CompletionRequest | Rejection {
  if (!isRecord(body)) return reject('The request body must be a JSON object', null);
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return reject("'model' is required", 'model');
  const digest = new PromptDigest(keepText);
  let tool: ToolSpec | undefined;
  let prefill: string | undefined;
  if (operation === 'chat') {
    const continuing = readContinuation(body, prefillStyle);
    if (isRejection(continuing)) return continuing;
    prefill = continuing?.prefill;
    const last = readMessages(continuing?.body ?? body, digest);
    if (isRejection(last)) return last;
    tool = pickTool(body['tools'], body['tool_choice'], last);
  } else {
    const problem = readPrompt(body, digest);
    if (problem) return problem;
  }
  if (Number.isInteger(body['seed'])) digest.hash = hashNumber(body['seed'] as number, digest.hash);
  const n = readPositiveInt(body, 'n', 128);
  if (isRejection(n)) return n;
  const capKey =
    operation === 'chat' && body['max_completion_tokens'] !== undefined && body['max_completion_tokens'] !== null
      ? 'max_completion_tokens'
      : 'max_tokens';
  const maxTokens = readPositiveInt(body, capKey, Number.MAX_SAFE_INTEGER);
  if (isRejection(maxTokens)) return maxTokens;
  const stop = readStop(body['stop']);
  if (!Array.isArray(stop)) return stop;
  const streamOptions = body['stream_options'];
  return {
    operation,
    model,
    stream: body['stream'] === true,
    includeUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
    n: n ?? 1,
    maxTokens,
    stop,
    promptTokens: digest.tokens(),
    promptHash: digest.hash,
    tool,
    prefill,
    ...(digest.parts ? { promptText: digest.parts.join('') } : {}),
  };
}
