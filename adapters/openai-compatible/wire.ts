/**
 * The wire shapes of OpenAI-compatible servers as they really arrive, which is looser than OpenAI's
 * spec: every field may be missing or null, codes may be integers, `reasoning` may replace
 * `reasoning_content`, and `choices` may be null. The translators read these shapes defensively and
 * write the strict OpenAI shapes (CreateChatCompletionResponse, ...Chunk, CreateCompletionResponse,
 * CreateEmbeddingResponse) back.
 */

/** `usage` as sent (vLLM omits unset fields; llama.cpp adds `timings` beside it on the last chunk). */
export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export interface WireToolCallDelta {
  /** Required by OpenAI; some servers omit it on single calls. */
  index?: number;
  /** TGI sends "0"; Ollama `call_<random>`; vLLM `chatcmpl-tool-<hex>`. */
  id?: string | null;
  type?: 'function' | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface WireDelta {
  role?: string | null;
  content?: string | null;
  /** vLLM (current) and Ollama name the thinking text `reasoning`; SGLang and llama.cpp `reasoning_content`. */
  reasoning?: string | null;
  reasoning_content?: string | null;
  tool_calls?: WireToolCallDelta[] | null;
}

export interface WireChunkChoice {
  index?: number;
  delta?: WireDelta | null;
  /** Legacy completions streams carry `text` instead of `delta`. */
  text?: string;
  /** SGLang/vLLM may send `abort`; vLLM adds `stop_reason` (int|str), SGLang `matched_stop`. */
  finish_reason?: string | null;
  logprobs?: unknown;
}

export interface WireChunk {
  /** TGI sends ''. Azure's first chunk has '' too, with `created: 0` and `model: ''`. */
  id?: string;
  /** Azure's prompt-filter chunk has `object: ''`. */
  object?: string;
  created?: number;
  model?: string;
  /** `null` from some servers; `[]` on the usage-only chunk and on Azure's prompt-filter chunk. */
  choices?: WireChunkChoice[] | null;
  usage?: WireUsage | null;
  /** vLLM, SGLang, TGI, llama.cpp report a failure mid-stream as a chunk with an `error`. */
  error?: WireErrorBody['error'];
}

/**
 * Error bodies seen from OpenAI-compatible servers:
 * - OpenAI / Azure / Ollama: `{error: {message, type, param, code: string|null}}`
 * - vLLM (current), llama.cpp: `{error: {message, type, param?, code: int}}`
 * - vLLM (old), SGLang: flat `{object: "error", message, type, param, code: int}`
 * - TGI: `{error: "<message>", error_type: "validation"|"generation"|"overloaded"|...}`, and
 *   `{error: {message, http_status_code}}` mid-stream
 * - Ollama native and others: `{error: "<message>"}`
 * - FastAPI defaults (unknown route): `{detail: "Not Found"}`
 */
export interface WireErrorBody {
  error?: string | WireErrorObject | null;
  error_type?: string;
  object?: string;
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | number | null;
  http_status_code?: number;
  detail?: string | Array<{ msg?: string }>;
}

export interface WireErrorObject {
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | number | null;
  http_status_code?: number;
  /** Azure content filtering: `{code: "ResponsibleAIPolicyViolation", content_filter_result: {...}}`. */
  innererror?: { code?: string };
}

export interface WireEmbedding {
  object?: string;
  index?: number;
  /** Floats, or a base64 string of little-endian float32 when `encoding_format: "base64"` was honoured. */
  embedding?: number[] | string;
}
