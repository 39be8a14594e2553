/**
 * The OpenAI Responses API as this door reads and writes it (test/vendor/openai-openapi: CreateResponse,
 * Response, ResponseStreamEvent). A request's `input` is a list of typed items rather than chat
 * messages (a tool call and its output are items of their own, beside messages), `instructions` stand
 * for the system message, function tools are flat (`{type, name, parameters}`), and the answer is a
 * list of output items (messages with typed content parts, function calls) under one Response object
 * whose fields echo the request. Streams are typed events, each with a `sequence_number`.
 */

/** A function tool as the Responses API writes it (flat, unlike Chat Completions' `{function: {...}}`). */
export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

export interface OutputTextPart {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

export type OutputContentPart = OutputTextPart | RefusalPart;

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface OutputMessageItem {
  type: 'message';
  id: string;
  status: ItemStatus;
  role: 'assistant';
  content: OutputContentPart[];
}

export interface FunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

export type OutputItem = OutputMessageItem | FunctionCallItem;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'completed' | 'incomplete' | 'in_progress' | 'failed';

export type IncompleteReason = 'max_output_tokens' | 'content_filter';

/** The Response object: the answer's own members plus the request's settings echoed back. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: null;
  incomplete_details: { reason: IncompleteReason } | null;
  model: string;
  output: OutputItem[];
  usage?: ResponsesUsage;
  [echoed: string]: unknown;
}

/** OpenAI's error envelope, which the Responses API shares with every other endpoint. */
export interface ResponsesErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
