/**
 * AWS Bedrock Runtime's own types (Converse, ConverseStream, InvokeModel for embeddings), only the
 * members the adapter reads or writes. How it differs from OpenAI: content is always a list of tagged
 * blocks (`{text}`, `{image}`, `{toolUse}`, `{toolResult}`: exactly one key each); the system prompt is
 * a top-level list; roles alternate strictly (user, assistant, user...); tool results are user blocks;
 * sampling sits under `inferenceConfig`; tools under `toolConfig`. ConverseStream answers in AWS's
 * binary event-stream framing (event-stream.ts), one JSON event per frame, named by `:event-type`;
 * errors mid-stream are frames with `:message-type: exception` inside an HTTP 200.
 * Shapes: the Bedrock API reference (Converse, ConverseStream, ContentBlock, ToolConfiguration) and
 * the aws-sdk-js-v3 client's models (clients/client-bedrock-runtime/src/models).
 */

export type ConverseRole = 'user' | 'assistant';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface ToolUseBlock {
  toolUseId: string;
  name: string;
  /** A JSON value (an object for every model in practice), not a string as in OpenAI. */
  input: unknown;
}

export type ToolResultContent = { text: string } | { json: unknown };

export interface ToolResultBlock {
  toolUseId: string;
  content: ToolResultContent[];
  status?: 'success' | 'error';
}

export type ContentBlock =
  | { text: string }
  | { image: { format: ImageFormat; source: { bytes: string } } }
  | { toolUse: ToolUseBlock }
  | { toolResult: ToolResultBlock }
  | { reasoningContent: { reasoningText?: { text: string; signature?: string }; redactedContent?: string } }
  /** A prompt-cache breakpoint: everything before it may be cached (Claude and Nova models). */
  | { cachePoint: { type: 'default' } };

export interface ConverseMessage {
  role: ConverseRole;
  content: ContentBlock[];
}

export interface InferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

export interface ToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown } };
}

/** No `none` member: "do not call a tool" is said by leaving the choice (or the tools) out. */
export type ToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface ToolConfig {
  tools: ToolSpec[];
  toolChoice?: ToolChoice;
}

/** The body of both Converse and ConverseStream (the model id is in the path, not the body). */
export interface ConverseRequest {
  messages: ConverseMessage[];
  system?: ({ text: string } | { cachePoint: { type: 'default' } })[];
  inferenceConfig?: InferenceConfig;
  toolConfig?: ToolConfig;
}

export type StopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | 'model_context_window_exceeded'
  | 'malformed_model_output'
  | 'malformed_tool_use';

/** `inputTokens` excludes the cached part: a prompt is inputTokens + cacheRead + cacheWrite. */
export interface ConverseUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface ConverseResponse {
  output: { message?: { role: 'assistant'; content: ContentBlock[] } };
  /** A StopReason, or one newer than this list. */
  stopReason: string;
  usage?: ConverseUsage;
  metrics?: { latencyMs: number };
}

// ---- ConverseStream events (the payload of each frame, by its `:event-type`) ---------------------------

export interface MessageStartEvent {
  role: ConverseRole;
}

export interface ContentBlockStartEvent {
  contentBlockIndex: number;
  start: { toolUse?: { toolUseId: string; name: string } };
}

export interface ContentBlockDeltaEvent {
  contentBlockIndex: number;
  delta: {
    text?: string;
    toolUse?: { input: string };
    reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
  };
}

export interface ContentBlockStopEvent {
  contentBlockIndex: number;
}

export interface MessageStopEvent {
  /** A StopReason, or one newer than this list. */
  stopReason: string;
}

export interface MetadataEvent {
  usage?: ConverseUsage;
  metrics?: { latencyMs: number };
}

/** The exception frames ConverseStream sends inside a 200 (`:exception-type`), with their HTTP status. */
export const streamExceptionStatus: Readonly<Record<string, number>> = {
  internalServerException: 500,
  modelStreamErrorException: 424,
  validationException: 400,
  throttlingException: 429,
  serviceUnavailableException: 503,
};

/** An HTTP error body: `{message}` (restJson1), sometimes `__type`, the name also in `x-amzn-ErrorType`. */
export interface BedrockErrorBody {
  message?: string;
  Message?: string;
  __type?: string;
  originalStatusCode?: number;
  originalMessage?: string;
}

// ---- InvokeModel embeddings ------------------------------------------------------------------------------

/** Amazon Titan Text Embeddings (v1, v2): one text per call. */
export interface TitanEmbeddingRequest {
  inputText: string;
  dimensions?: number;
}

export interface TitanEmbeddingResponse {
  embedding: number[];
  inputTextTokenCount?: number;
}

/** Cohere Embed (v3) on Bedrock: up to 96 texts per call; `input_type` is required. */
export interface CohereEmbeddingRequest {
  texts: string[];
  input_type: 'search_document' | 'search_query' | 'classification' | 'clustering';
}

export interface CohereEmbeddingResponse {
  embeddings: number[][];
  id?: string;
  response_type?: string;
}
