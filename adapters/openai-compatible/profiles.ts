/**
 * The OpenAI-compatible servers differ from OpenAI in small, known ways; each profile states them as
 * data so that one request builder, one response translator and one stream translator serve them all.
 * A new OpenAI-compatible server is a new entry here (plus its fixtures), not new code.
 *
 * Base URLs include the `/v1` segment (as with the OpenAI SDK's `baseURL`): the adapter appends
 * `/chat/completions`, `/completions`, `/embeddings` and `/models` to them.
 */
import type { NativeWire, Operation } from '../types.js';
import type { PrefillStyle } from './settings.js';
import { ollamaFloatingModel, openAIFloatingModel, type FloatingModelRule } from '../shared/floating-models.js';

export interface OpenAICompatibleProfile<Type extends string = string> {
  /** The config's provider `type`. */
  readonly type: Type;
  readonly operations: ReadonlySet<Operation>;
  /**
   * The server reads `max_tokens` only, so a client's `max_completion_tokens` (the field OpenAI now
   * prefers, and the one current SDKs send) must be sent as `max_tokens` or it is silently ignored.
   */
  readonly maxCompletionTokensAsMaxTokens: boolean;
  /** `stop` must be an array; a bare string is rejected (TGI answers 422). */
  readonly stopAsArray: boolean;
  /**
   * The server honours `encoding_format: "base64"` for embeddings. When false we ask for floats and
   * encode them ourselves for clients that asked base64 (openai-node always does by default).
   */
  readonly base64Embeddings: boolean;
  /**
   * How the server continues a partial assistant answer when the provider's `prefill` setting says
   * nothing (vLLM and SGLang: `continue_final_message`); absent, only that setting can say it.
   */
  readonly prefill?: PrefillStyle;
  /** A cheap GET under the base URL that answers 200 once the server can serve. */
  readonly healthPath?: string;
  /**
   * Which model ids are floating aliases there (adapters/shared/floating-models.ts); absent: the
   * server's model names are whatever it loaded. Only OpenAI's own API and Ollama's library tags float;
   * `openai-compatible` has none, since its base URL may be anything.
   */
  readonly floatingModel?: FloatingModelRule;
  /**
   * The front-door wires the server speaks itself (ProviderAdapter.nativeWires): a request that came
   * in through one is sent as the client wrote it, to `nativePaths[wire]` under the base URL.
   */
  readonly nativeWires?: ReadonlySet<NativeWire>;
}

/** Where each native wire is served, under the base URL (which ends in `/v1`). */
export const nativePaths: Readonly<Record<NativeWire, string>> = {
  'openai-responses': '/responses',
  'anthropic-messages': '/messages',
};

const allOperations: ReadonlySet<Operation> = new Set<Operation>(['chat', 'completions', 'embeddings']);

const openai: OpenAICompatibleProfile<'openai'> = {
  type: 'openai',
  operations: allOperations,
  maxCompletionTokensAsMaxTokens: false,
  stopAsArray: false,
  base64Embeddings: true,
  // No probe: a cloud API is not health-checked with a key-bearing GET on a timer.
  floatingModel: openAIFloatingModel,
  // The Responses API is OpenAI's own: its stored state and built-in tools exist nowhere else.
  nativeWires: new Set<NativeWire>(['openai-responses']),
};

/**
 * Any server that claims OpenAI compatibility (LiteLLM, LM Studio, Azure's v1 surface, a vendor's
 * endpoint...). Treated as OpenAI, except that base64 embeddings are not assumed: asking for floats
 * works everywhere and we encode them ourselves.
 */
const openaiCompatible: OpenAICompatibleProfile<'openai-compatible'> = {
  type: 'openai-compatible',
  operations: allOperations,
  maxCompletionTokensAsMaxTokens: false,
  stopAsArray: false,
  base64Embeddings: false,
  healthPath: '/models',
};

/** vLLM: knows `max_completion_tokens` and base64 embeddings; errors carry integer codes. */
const vllm: OpenAICompatibleProfile<'vllm'> = {
  type: 'vllm',
  operations: allOperations,
  maxCompletionTokensAsMaxTokens: false,
  stopAsArray: false,
  base64Embeddings: true,
  prefill: 'continue_final_message',
  healthPath: '/models',
};

/**
 * TGI: `stop` must be an array; `max_tokens` is its own name (newer versions alias
 * `max_completion_tokens`, older ones do not). It serves no embeddings (that is TEI, a separate
 * server: configure TEI as `openai-compatible`).
 */
const tgi: OpenAICompatibleProfile<'tgi'> = {
  type: 'tgi',
  operations: new Set<Operation>(['chat', 'completions']),
  maxCompletionTokensAsMaxTokens: true,
  stopAsArray: true,
  base64Embeddings: false,
  healthPath: '/models',
};

/** SGLang: like vLLM on the request side; flat error bodies and `finish_reason: "abort"` on output. */
const sglang: OpenAICompatibleProfile<'sglang'> = {
  type: 'sglang',
  operations: allOperations,
  maxCompletionTokensAsMaxTokens: false,
  stopAsArray: false,
  base64Embeddings: true,
  prefill: 'continue_final_message',
  healthPath: '/models',
};

/** llama.cpp server: reads `n_predict`/`max_tokens` only; 503 "Loading model" until it is ready. */
const llamacpp: OpenAICompatibleProfile<'llamacpp'> = {
  type: 'llamacpp',
  operations: allOperations,
  maxCompletionTokensAsMaxTokens: true,
  stopAsArray: false,
  base64Embeddings: false,
  healthPath: '/models',
};

/**
 * Ollama's `/v1` surface: reads `max_tokens` only. It ignores `tool_choice`, `logit_bias`, `user` and
 * `n` without complaint, so they are forwarded as sent rather than dropped (the answer is the same and
 * the fast path stays open). Older versions ignore `encoding_format`, so floats are asked for.
 */
const ollama: OpenAICompatibleProfile<'ollama'> = {
  type: 'ollama',
  operations: allOperations,
  maxCompletionTokensAsMaxTokens: true,
  stopAsArray: false,
  base64Embeddings: false,
  healthPath: '/models',
  floatingModel: ollamaFloatingModel,
};

export const profiles = [openai, openaiCompatible, vllm, tgi, sglang, llamacpp, ollama] as const;

export type OpenAICompatibleType = (typeof profiles)[number]['type'];
