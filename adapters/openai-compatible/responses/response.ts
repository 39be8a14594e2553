/**
 * The core's non-stream Chat Completions answer as a Response object (the door's answer() for a
 * translated request). Choice 0's message becomes at most one `message` output item (its text as an
 * `output_text` part, a refusal as a `refusal` part) followed by one `function_call` item per tool
 * call; `finish_reason: length` makes the Response `incomplete` for `max_output_tokens`, and
 * `content_filter` for `content_filter`. The chat `reasoning_content` has no place in a stateless
 * Response (reasoning items are OpenAI's encrypted state) and is left out; its tokens stay in usage.
 */
import type { DoorRequest } from '../../front-door.js';
import { isRecord, tryParseJson, type JsonObject } from '../../shared/json.js';
import { newId, nowSeconds, responseObject, responsesUsage, statusOf } from './envelope.js';
import type { FunctionCallItem, ItemStatus, OutputContentPart, OutputItem } from './wire.js';

function functionCallItem(call: unknown, status: ItemStatus): FunctionCallItem | undefined {
  if (!isRecord(call)) return undefined;
  const fn = isRecord(call['function']) ? call['function'] : {};
  return {
    type: 'function_call',
    id: newId('fc'),
    call_id: typeof call['id'] === 'string' && call['id'] !== '' ? call['id'] : newId('call'),
    name: typeof fn['name'] === 'string' ? fn['name'] : '',
    arguments: typeof fn['arguments'] === 'string' ? fn['arguments'] : '',
    status,
  };
}

/** The output items of one chat message. */
export function outputItems(message: JsonObject, status: ItemStatus): OutputItem[] {
  const items: OutputItem[] = [];
  const content: OutputContentPart[] = [];
  if (typeof message['content'] === 'string' && message['content'] !== '') {
    content.push({ type: 'output_text', text: message['content'], annotations: [], logprobs: [] });
  }
  if (typeof message['refusal'] === 'string' && message['refusal'] !== '') content.push({ type: 'refusal', refusal: message['refusal'] });
  const calls = Array.isArray(message['tool_calls']) ? (message['tool_calls'] as unknown[]) : [];
  // An answer with neither text nor calls is still one (empty) message, as OpenAI writes it.
  if (content.length > 0 || calls.length === 0) {
    if (content.length === 0) content.push({ type: 'output_text', text: '', annotations: [], logprobs: [] });
    items.push({ type: 'message', id: newId('msg'), status, role: 'assistant', content });
  }
  for (const call of calls) {
    const item = functionCallItem(call, 'completed');
    if (item) items.push(item);
  }
  return items;
}

/** A chat.completion JSON text as a Response JSON text. */
export function translateAnswer(body: string, req: DoorRequest): string {
  const doc = tryParseJson(body);
  const completion = isRecord(doc) ? doc : {};
  const choices = Array.isArray(completion['choices']) ? (completion['choices'] as unknown[]) : [];
  const choice = choices.find((c): c is JsonObject => isRecord(c) && (c['index'] ?? 0) === 0);
  const { status, reason } = statusOf(choice?.['finish_reason']);
  const message = isRecord(choice?.['message']) ? choice['message'] : {};
  const created = completion['created'];
  const response = responseObject(req, {
    id: newId('resp'),
    createdAt: typeof created === 'number' && Number.isInteger(created) && created > 0 ? created : nowSeconds(),
    model: typeof completion['model'] === 'string' ? completion['model'] : req.model,
    status,
    reason,
    output: outputItems(message, status === 'completed' ? 'completed' : 'incomplete'),
    usage: responsesUsage(completion['usage']),
  });
  return JSON.stringify(response);
}
