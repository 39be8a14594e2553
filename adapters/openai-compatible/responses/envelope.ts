/**
 * What every translated Response object carries around its output: an id of OpenAI's shape
 * (`resp_…`, and `msg_…` / `fc_…` for items), the request's settings echoed back as the spec requires
 * them (instructions, tools, tool_choice, temperature, ... with `null` where the client set nothing
 * and the upstream's default is not ours to state), `store: false` (nothing is kept), and the usage
 * in the Responses API's names. Shared by the non-stream answer and the stream encoder.
 */
import { randomBytes } from 'node:crypto';
import type { DoorRequest } from '../../front-door.js';
import { isRecord } from '../../shared/json.js';
import { echoTools } from './tools.js';
import type { IncompleteReason, OutputItem, ResponseObject, ResponseStatus, ResponsesUsage } from './wire.js';

/** An id such as `resp_68a1…`: the prefix and 48 hex characters, like OpenAI's. */
export function newId(prefix: 'resp' | 'msg' | 'fc' | 'call'): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const orNull = (value: unknown): unknown => (value === undefined ? null : value);

/** The request's settings as the Response object repeats them. */
function echo(req: DoorRequest): Record<string, unknown> {
  const body = req.request.native?.body ?? {};
  const text = isRecord(body['text']) ? body['text'] : {};
  const reasoning = isRecord(body['reasoning']) ? body['reasoning'] : undefined;
  const out: Record<string, unknown> = {
    instructions: typeof body['instructions'] === 'string' || Array.isArray(body['instructions']) ? body['instructions'] : null,
    max_output_tokens: orNull(body['max_output_tokens']),
    parallel_tool_calls: typeof body['parallel_tool_calls'] === 'boolean' ? body['parallel_tool_calls'] : true,
    previous_response_id: null,
    reasoning: reasoning === undefined ? null : { effort: orNull(reasoning['effort']), summary: orNull(reasoning['summary']) },
    store: false,
    temperature: typeof body['temperature'] === 'number' ? body['temperature'] : null,
    text: { ...text, format: isRecord(text['format']) ? text['format'] : { type: 'text' } },
    tool_choice: body['tool_choice'] ?? 'auto',
    tools: echoTools(body['tools']),
    top_p: typeof body['top_p'] === 'number' ? body['top_p'] : null,
    truncation: 'disabled',
    metadata: isRecord(body['metadata']) ? body['metadata'] : {},
  };
  if (typeof body['user'] === 'string') out['user'] = body['user'];
  if (typeof body['safety_identifier'] === 'string') out['safety_identifier'] = body['safety_identifier'];
  return out;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A Chat Completions `usage` in the Responses API's names; undefined when there is none. */
export function responsesUsage(usage: unknown): ResponsesUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const input = count(usage['prompt_tokens']);
  const output = count(usage['completion_tokens']);
  const promptDetails = isRecord(usage['prompt_tokens_details']) ? usage['prompt_tokens_details'] : {};
  const completionDetails = isRecord(usage['completion_tokens_details']) ? usage['completion_tokens_details'] : {};
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: count(promptDetails['cached_tokens']), cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(completionDetails['reasoning_tokens']) },
    total_tokens: typeof usage['total_tokens'] === 'number' ? usage['total_tokens'] : input + output,
  };
}

/** A Chat Completions finish reason as the Response's status and incomplete reason. */
export function statusOf(finish: unknown): { status: 'completed' | 'incomplete'; reason: IncompleteReason | undefined } {
  if (finish === 'length') return { status: 'incomplete', reason: 'max_output_tokens' };
  if (finish === 'content_filter') return { status: 'incomplete', reason: 'content_filter' };
  return { status: 'completed', reason: undefined };
}

export interface ResponseParts {
  id: string;
  createdAt: number;
  model: string;
  status: ResponseStatus;
  reason?: IncompleteReason | undefined;
  output: OutputItem[];
  usage?: ResponsesUsage | undefined;
}

/** The whole Response object for these parts and this request. */
export function responseObject(req: DoorRequest, parts: ResponseParts): ResponseObject {
  const finished = parts.status === 'completed' || parts.status === 'incomplete';
  const response: ResponseObject = {
    id: parts.id,
    object: 'response',
    created_at: parts.createdAt,
    status: parts.status,
    background: false,
    completed_at: parts.status === 'completed' ? nowSeconds() : null,
    error: null,
    incomplete_details: finished && parts.reason !== undefined ? { reason: parts.reason } : null,
    model: parts.model,
    output: parts.output,
    ...echo(req),
  };
  if (parts.usage) response.usage = parts.usage;
  return response;
}

export { nowSeconds };
