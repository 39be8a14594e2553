/**
 * OpenAI's Responses API (`POST /v1/responses`) on the openai kind, and on the azure kind at Azure's
 * Responses addresses. A request is read into the same CompletionRequest as a chat request (its
 * `input` items and `instructions` become the messages that seed the answer, its flat function tools
 * the tools), so the answer is planned, timed and faulted like a chat answer; responses-events.ts
 * writes it as a Response object or as Responses stream events. Answers are kept in memory (unless
 * `store: false`) so that `previous_response_id` continues a conversation and `GET /v1/responses/{id}`
 * reads them back; an unknown id is a 404 in OpenAI's shape.
 */
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { Exchange } from './exchange.js';
import type { Fault } from './faults.js';
import { isRecord, isRejection, parseCompletionRequest, type CompletionRequest } from './request.js';
import { ResponsesGeneration, type StoredResponse } from './responses-events.js';

type Body = Record<string, unknown>;

/** Answers kept per simulator, by response id (bounded: the oldest go first). */
const stores = new WeakMap<SimContext, Map<string, StoredResponse>>();
const STORE_LIMIT = 500;

function storeOf(sim: SimContext): Map<string, StoredResponse> {
  let store = stores.get(sim);
  if (store === undefined) {
    store = new Map();
    stores.set(sim, store);
  }
  return store;
}

function keep(sim: SimContext, response: StoredResponse): void {
  const store = storeOf(sim);
  if (store.size >= STORE_LIMIT) store.delete(store.keys().next().value!);
  store.set(response.id, response);
}

/** One content part as chat content (text only counts for the simulated model). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isRecord(part) && typeof part['text'] === 'string') text += part['text'];
    else if (isRecord(part) && typeof part['refusal'] === 'string') text += part['refusal'];
  }
  return text;
}

/** Input items as chat messages: enough for the shared parser to hash the prompt and pick a tool. */
function messagesOf(input: unknown): Body[] | string {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) return "'input' must be a string or an array of input items";
  const messages: Body[] = [];
  for (const item of input) {
    if (!isRecord(item)) return "each item of 'input' must be an object";
    const type = item['type'] ?? 'message';
    if (type === 'message') messages.push({ role: String(item['role']), content: textOf(item['content']) });
    else if (type === 'function_call')
      messages.push({
        role: 'assistant',
        content: '',
        tool_calls: [{ id: item['call_id'], name: item['name'], arguments: item['arguments'] }],
      });
    else if (type === 'function_call_output') messages.push({ role: 'tool', content: textOf(item['output']) });
  }
  return messages;
}

/** Flat Responses function tools as the chat tools the shared parser reads. */
function chatTools(tools: unknown): unknown {
  if (!Array.isArray(tools)) return undefined;
  return tools
    .filter((t) => isRecord(t) && t['type'] === 'function')
    .map((t: Body) => ({ type: 'function', function: { name: t['name'], parameters: t['parameters'] } }));
}

function chatToolChoice(choice: unknown): unknown {
  return isRecord(choice) && choice['type'] === 'function' ? { type: 'function', function: { name: choice['name'] } } : choice;
}

function previousNotFound(id: string): Body {
  return {
    error: {
      message: `Previous response with id '${id}' not found.`,
      type: 'invalid_request_error',
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    },
  };
}

/**
 * Serves one Responses request. `model` is the name the answer reports (the azure kind reports the
 * model version behind its deployment); the caller has checked the route, the key and the model.
 */
export function serveResponses(sim: SimContext, res: ServerResponse, body: unknown, model: string, fault: Fault | undefined): void {
  const exchange = (): Exchange => new Exchange(sim, res);
  if (!isRecord(body)) return exchange().error(400, { message: 'The request body must be a JSON object.' });
  const previousId = body['previous_response_id'];
  let history: Body[] = [];
  if (typeof previousId === 'string') {
    const previous = storeOf(sim).get(previousId);
    if (previous === undefined) return exchange().json(404, previousNotFound(previousId));
    history = previous.messages;
  }
  const input = body['input'] === undefined && history.length > 0 ? [] : body['input'];
  const messages = messagesOf(input);
  if (typeof messages === 'string') return exchange().error(400, { message: messages, param: 'input' });
  const instructions = typeof body['instructions'] === 'string' ? [{ role: 'system', content: body['instructions'] }] : [];
  const conversation = [...history, ...messages];
  const chat: Body = {
    model: body['model'],
    messages: [...instructions, ...conversation],
    tools: chatTools(body['tools']),
    tool_choice: chatToolChoice(body['tool_choice']),
    max_completion_tokens: body['max_output_tokens'] ?? undefined,
    stream: body['stream'] === true,
  };
  const parsed = parseCompletionRequest('chat', chat, 'none');
  if (isRejection(parsed))
    return exchange().error(parsed.status, { message: parsed.message, param: parsed.param === 'messages' ? 'input' : parsed.param });
  const request: CompletionRequest = { ...parsed, model };
  if (fault === undefined && sim.options.failRate > 0 && sim.random() < sim.options.failRate) return exchange().error(500);
  new ResponsesGeneration(sim, res, request, body, fault, (stored) => {
    if (body['store'] !== false) keep(sim, { ...stored, messages: [...conversation, ...stored.messages] });
  }).start();
}

/** `GET /v1/responses/{id}` on the openai kind: a kept answer, or OpenAI's 404. */
export function retrieveResponse(sim: SimContext, res: ServerResponse, id: string): void {
  const stored = storeOf(sim).get(id);
  if (stored !== undefined) return new Exchange(sim, res).json(200, stored.response);
  new Exchange(sim, res).json(404, {
    error: { message: `Response with id '${id}' not found.`, type: 'invalid_request_error', param: null, code: null },
  });
}

/** `POST /v1/responses` on the openai kind: the body checked as OpenAI checks it, then served. */
export function openAIResponses(sim: SimContext, res: ServerResponse, body: unknown, invalidJson: boolean): void {
  if (invalidJson) return new Exchange(sim, res).error(400, { message: 'The request body is not valid JSON.' });
  const model = isRecord(body) ? body['model'] : undefined;
  if (typeof model !== 'string' || model === '')
    return new Exchange(sim, res).error(400, { message: "'model' is required", param: 'model' });
  if (model !== sim.options.model) return new Exchange(sim, res).json(404, sim.flavor.modelNotFound(model));
  const fault = sim.faults.take({ operation: 'chat', stream: isRecord(body) && body['stream'] === true });
  if (fault) sim.counters.faultsApplied += 1;
  serveResponses(sim, res, body, model, fault);
}
