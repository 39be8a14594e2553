/**
 * Google's Gemini API wire types (generateContent, streamGenerateContent?alt=sse, embedContent,
 * batchEmbedContents; Vertex AI's embeddings `:predict`), as far as the adapter reads or writes them.
 * Unlike OpenAI: camelCase keys, a conversation of `contents` with roles `user` and `model` made of
 * typed `parts`, the system prompt apart (`systemInstruction`), sampling under `generationConfig`,
 * function calls without ids, and errors in google.rpc form (`{error: {code, message, status,
 * details}}`). Type-only.
 */

export interface GeminiFunctionCall {
  name: string;
  args?: Record<string, unknown>;
  /** Sent by some models; the Gemini API usually leaves it out. */
  id?: string;
}

export interface GeminiFunctionResponse {
  name: string;
  /** Must be an object: a plain string result is wrapped as `{result: "..."}`. */
  response: Record<string, unknown>;
  id?: string;
}

export interface GeminiPart {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  /** A thought summary (thinking models with includeThoughts). */
  thought?: boolean;
  /** Opaque; newer models want it echoed back on the same part in later turns. */
  thoughtSignature?: string;
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** JSON Schema as OpenAI clients write it (the Gemini API accepts it as `parametersJsonSchema`). */
  parametersJsonSchema?: unknown;
}

export interface GeminiTool {
  functionDeclarations: GeminiFunctionDeclaration[];
}

export interface GeminiToolConfig {
  functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] };
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  candidateCount?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseJsonSchema?: unknown;
  responseLogprobs?: boolean;
  logprobs?: number;
}

export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
}

export type GeminiFinishReason = string;

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: GeminiFinishReason;
  index?: number;
  finishMessage?: string;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** Vertex AI only (RFC 3339): the Gemini API sends no timestamp. */
  createTime?: string;
}

export interface GeminiEmbedContentRequest {
  model?: string;
  content: { parts: Array<{ text: string }> };
  outputDimensionality?: number;
}

export interface GeminiEmbedContentResponse {
  embedding?: { values?: number[] };
}

export interface GeminiBatchEmbedContentsResponse {
  embeddings?: Array<{ values?: number[] }>;
}

/** Vertex AI's text embeddings through the prediction service (`:predict`). */
export interface VertexPredictEmbeddingsRequest {
  instances: Array<{ content: string; task_type?: string; title?: string }>;
  parameters?: { outputDimensionality?: number; autoTruncate?: boolean };
}

export interface VertexPredictEmbeddingsResponse {
  predictions?: Array<{ embeddings?: { values?: number[]; statistics?: { token_count?: number; truncated?: boolean } } }>;
  metadata?: { billableCharacterCount?: number };
}

/** google.rpc.Status as the Gemini API sends it. */
export interface GeminiErrorBody {
  error: {
    code: number;
    message: string;
    status: string;
    details?: Array<Record<string, unknown>>;
  };
}
