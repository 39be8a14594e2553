/**
 * Anthropic's Messages API types (POST /v1/messages), as far as the gateway reads or writes them.
 * How it differs from OpenAI: `system` is a top-level field, not a message; `max_tokens` is required;
 * content is a list of typed blocks (text, image, tool_use, tool_result) rather than strings plus
 * `tool_calls`; tool arguments are JSON objects, not strings; tool results are user-turn blocks; usage
 * counts cache reads and writes apart from `input_tokens`; streams name every event (`event:` equals
 * the JSON `type`) and end with `message_stop`, not `[DONE]`; errors are `{type:"error", error:{type, message}}`.
 * Sources: the TypeScript SDK's src/resources/messages/messages.ts and shared.ts; docs.anthropic.com.
 */

export type CacheControl = { type: 'ephemeral'; ttl?: '5m' | '1h' };

export interface TextBlockParam {
  type: 'text';
  text: string;
  cache_control?: CacheControl;
}

export type ImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

export interface ImageBlockParam {
  type: 'image';
  source: ImageSource;
  cache_control?: CacheControl;
}

export interface ToolUseBlockParam {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
  cache_control?: CacheControl;
}

export interface ToolResultBlockParam {
  type: 'tool_result';
  tool_use_id: string;
  content: string | (TextBlockParam | ImageBlockParam)[];
  is_error?: boolean;
  cache_control?: CacheControl;
}

export type ContentBlockParam = TextBlockParam | ImageBlockParam | ToolUseBlockParam | ToolResultBlockParam;

export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | ContentBlockParam[];
}

export interface ToolParam {
  name: string;
  description?: string;
  input_schema: unknown;
  cache_control?: CacheControl;
}

export type ToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export interface MessageCreateParams {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | TextBlockParam[];
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  tools?: ToolParam[];
  tool_choice?: ToolChoice;
  metadata?: { user_id?: string };
}

export type StopReason =
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

/** Other blocks (thinking, server tools) are passed over: OpenAI's chat has no place for them. */
export type ContentBlock = TextBlock | ToolUseBlock | { type: string };

export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
}

// ---- Streaming ------------------------------------------------------------------------------------

export type ContentBlockDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string };

export type StreamEvent =
  | { type: 'message_start'; message: Message }
  | { type: 'content_block_start'; index: number; content_block: ContentBlock }
  | { type: 'content_block_delta'; index: number; delta: ContentBlockDelta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason: StopReason | null; stop_sequence: string | null }; usage: Partial<Usage> }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | ErrorBody;

// ---- Errors ---------------------------------------------------------------------------------------

/** The `error.type` values Anthropic documents, with the HTTP status each comes with. */
export type ErrorType =
  | 'invalid_request_error' // 400
  | 'authentication_error' // 401
  | 'billing_error' // 402
  | 'permission_error' // 403
  | 'not_found_error' // 404
  | 'request_too_large' // 413
  | 'rate_limit_error' // 429
  | 'api_error' // 500
  | 'timeout_error' // 504
  | 'overloaded_error'; // 529

export interface ErrorBody {
  type: 'error';
  /** One of ErrorType, or a type Anthropic adds later. */
  error: { type: string; message: string };
  request_id?: string;
}

/** GET /v1/models: the free listing used as the health probe. */
export interface ModelInfo {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
}

export interface ModelList {
  data: ModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export const anthropicVersion = '2023-06-01';
