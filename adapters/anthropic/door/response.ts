/**
 * The core's OpenAI chat completion as an Anthropic `Message`, for a Messages client whose request a
 * non-Anthropic deployment answered. How Anthropic differs: content is a list of blocks (text, then
 * `tool_use` with the arguments as a parsed `input` object); `stop_reason` replaces `finish_reason`
 * (stop -> end_turn, or stop_sequence when the upstream said which of the client's stop sequences hit,
 * as vLLM does in its `stop_reason`; length -> max_tokens; tool_calls -> tool_use; content_filter ->
 * refusal); usage counts `input_tokens` without the cached prompt, which is `cache_read_input_tokens`
 * (OpenAI's `prompt_tokens` includes it). Ids are `msg_…`.
 */
import type { DoorRequest } from '../../front-door.js';
import { isRecord, tryParseJson, type JsonObject } from '../../shared/json.js';

const stopReasons: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);

/** `msg_` and the tail of the OpenAI id (after `chatcmpl-`), or a random one. */
export function messageIdOf(id: unknown): string {
  if (typeof id === 'string' && id !== '') {
    const tail = id.replace(/^chatcmpl-/, '').replace(/^msg_/, '');
    if (tail !== '') return `msg_${tail}`;
  }
  return `msg_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
}

/** The client's stop sequences (from its own body), to tell which one ended the answer. */
export function stopSequencesOf(req: DoorRequest): readonly string[] {
  const stop = req.request.native?.body['stop_sequences'];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [];
}

/** `stop_reason` and `stop_sequence` for an OpenAI finish reason (and vLLM's matched stop string, if any). */
export function stopOf(
  finishReason: unknown,
  matched: unknown,
  stops: readonly string[],
): { stop_reason: string; stop_sequence: string | null } {
  const reason = (typeof finishReason === 'string' ? stopReasons[finishReason] : undefined) ?? 'end_turn';
  if (reason === 'end_turn' && typeof matched === 'string' && stops.includes(matched))
    return { stop_reason: 'stop_sequence', stop_sequence: matched };
  return { stop_reason: reason, stop_sequence: null };
}

/** OpenAI's usage as Anthropic's counts. */
export function anthropicUsageOf(usage: unknown): JsonObject {
  const u = isRecord(usage) ? usage : {};
  const details = isRecord(u['prompt_tokens_details']) ? u['prompt_tokens_details'] : {};
  const cacheRead = count(details['cached_tokens']);
  const cacheWrite = count(details['cache_write_tokens']);
  return {
    input_tokens: Math.max(0, count(u['prompt_tokens']) - cacheRead - cacheWrite),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: count(u['completion_tokens']),
  };
}

/** A tool call's arguments as the `input` object Anthropic clients read; text that is no object is kept under `arguments`. */
export function toolInputOf(args: unknown): JsonObject {
  if (typeof args !== 'string' || args.trim() === '') return {};
  const parsed = tryParseJson(args);
  return isRecord(parsed) ? parsed : { arguments: args };
}

function contentOf(message: JsonObject): JsonObject[] {
  const blocks: JsonObject[] = [];
  const content = message['content'];
  if (typeof content === 'string' && content !== '') blocks.push({ type: 'text', text: content });
  else if (Array.isArray(content)) {
    const text = content.map((p: unknown) => (isRecord(p) && typeof p['text'] === 'string' ? p['text'] : '')).join('');
    if (text !== '') blocks.push({ type: 'text', text });
  }
  const refusal = message['refusal'];
  if (typeof refusal === 'string' && refusal !== '') blocks.push({ type: 'text', text: refusal });
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) {
    for (const call of calls) {
      const fn = isRecord(call) ? call['function'] : undefined;
      if (!isRecord(call) || !isRecord(fn) || typeof fn['name'] !== 'string') continue;
      const id = typeof call['id'] === 'string' && call['id'] !== '' ? call['id'] : `toolu_${blocks.length}`;
      blocks.push({ type: 'tool_use', id, name: fn['name'], input: toolInputOf(fn['arguments']) });
    }
  }
  return blocks;
}

/** The door's answer() for a translated answer: OpenAI chat.completion JSON in, Anthropic Message JSON out. */
export function messageFromCompletion(body: string, req: DoorRequest): string {
  const doc = tryParseJson(body);
  const completion = isRecord(doc) ? doc : {};
  const choices = completion['choices'];
  const choice = Array.isArray(choices) && isRecord(choices[0]) ? choices[0] : {};
  const message = isRecord(choice['message']) ? choice['message'] : {};
  const answer: JsonObject = {
    id: messageIdOf(completion['id']),
    type: 'message',
    role: 'assistant',
    model: typeof completion['model'] === 'string' ? completion['model'] : req.model,
    content: contentOf(message),
    ...stopOf(choice['finish_reason'], choice['stop_reason'], stopSequencesOf(req)),
    usage: anthropicUsageOf(completion['usage']),
  };
  return JSON.stringify(answer);
}
