/**
 * How the two simulated servers differ, as data. The openai kind answers like api.openai.com: string
 * error codes, `message.refusal: null`, `system_fingerprint`, usage with token details. The vllm kind
 * answers like `vllm serve`: integer error codes (current vLLM), `reasoning_content: null` and
 * `tool_calls: []` on the message and no `refusal`, `stop_reason` on every choice, usage fields
 * omitted rather than null but unset top-level fields of non-stream bodies as null, and vLLM's model
 * card (`owned_by: "vllm"`, `root`, `parent`, `max_model_len`, `permission`). Everything else in the
 * simulator is shared.
 */
import type { SimKind } from './types.js';

export interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

export interface ErrorDetails {
  message?: string | undefined;
  type?: string | undefined;
  param?: string | null | undefined;
  /** Overrides the kind's default code. */
  code?: string | undefined;
}

export interface SimFlavor {
  readonly kind: SimKind;
  errorBody(status: number, details?: ErrorDetails): ErrorEnvelope;
  modelNotFound(model: string): ErrorEnvelope;
  /** The 400 for a prompt (plus max_tokens, when given) longer than the model's context length. */
  contextLengthExceeded(maxModelLen: number, promptTokens: number, maxTokens: number | undefined): ErrorEnvelope;
  /** Fields a non-stream chat message carries besides role, content and tool_calls. */
  readonly messageExtras: Readonly<Record<string, unknown>>;
  /** Whether the message carries `tool_calls: []` when there are none (vLLM does). */
  readonly emptyToolCalls: boolean;
  /** Whether choices carry vLLM's `stop_reason` (the matched stop string, or null). */
  readonly stopReason: boolean;
  /** Members every chunk's envelope carries besides id, object, created, model and choices. */
  readonly chunkEnvelope: Readonly<Record<string, unknown>>;
  /** Members a non-stream body carries besides id, object, created, model, choices and usage. */
  readonly bodyEnvelope: Readonly<Record<string, unknown>>;
  /** Members of the first delta besides role and content. */
  readonly roleDelta: Readonly<Record<string, unknown>>;
  usage(promptTokens: number, completionTokens: number): Record<string, unknown>;
  modelCard(model: string, created: number, maxModelLen: number): Record<string, unknown>;
}

const OPENAI_DEFAULTS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', code: null },
  401: {
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  403: { message: 'Country, region, or territory not supported', type: 'request_forbidden', code: 'unsupported_country_region_territory' },
  404: { message: 'Not found.', type: 'invalid_request_error', code: null },
  429: { message: 'Rate limit reached for requests. Please try again in 1s.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
};

/** vLLM's error types by status (its ErrorResponse), with the message its middleware uses where it has one. */
const VLLM_DEFAULTS: Record<number, { type: string; message?: string }> = {
  400: { type: 'BadRequestError' },
  401: { type: 'Unauthorized', message: 'Unauthorized' },
  403: { type: 'Forbidden' },
  404: { type: 'NotFoundError', message: 'Not Found' },
  405: { type: 'MethodNotAllowed', message: 'Method Not Allowed' },
  429: { type: 'TooManyRequests' },
  500: { type: 'InternalServerError', message: 'Internal server error' },
  501: { type: 'NotImplementedError' },
  503: { type: 'ServiceUnavailableError', message: 'Service unavailable' },
};

const FINGERPRINT = 'fp_5f3c1e2d9a';

export const openaiFlavor: SimFlavor = {
  kind: 'openai',
  errorBody(status, details = {}) {
    const fallback = OPENAI_DEFAULTS[status] ?? {
      message: `Request failed with status ${status}.`,
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: null,
    };
    return {
      error: {
        message: details.message ?? fallback.message,
        type: details.type ?? fallback.type,
        param: details.param ?? null,
        code: details.code ?? fallback.code,
      },
    };
  },
  modelNotFound(model) {
    return {
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    };
  },
  contextLengthExceeded(maxModelLen, promptTokens, maxTokens) {
    const asked =
      maxTokens === undefined
        ? `your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`
        : `you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`;
    return {
      error: {
        message: `This model's maximum context length is ${maxModelLen} tokens. However, ${asked}`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    };
  },
  messageExtras: { refusal: null, annotations: [] },
  emptyToolCalls: false,
  stopReason: false,
  chunkEnvelope: { system_fingerprint: FINGERPRINT },
  bodyEnvelope: { system_fingerprint: FINGERPRINT },
  roleDelta: { refusal: null },
  usage(promptTokens, completionTokens) {
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
  },
  modelCard(model) {
    // A fixed creation date, as OpenAI's cards have: the models list is stable across restarts.
    return { id: model, object: 'model', created: 1721172741, owned_by: 'system' };
  },
};

export const vllmFlavor: SimFlavor = {
  kind: 'vllm',
  errorBody(status, details = {}) {
    const fallback = VLLM_DEFAULTS[status];
    return {
      error: {
        message: details.message ?? fallback?.message ?? `Request failed with status ${status}`,
        type: details.type ?? fallback?.type ?? (status >= 500 ? 'InternalServerError' : 'BadRequestError'),
        param: details.param ?? null,
        code: details.code ?? status,
      },
    };
  },
  modelNotFound(model) {
    return { error: { message: `The model \`${model}\` does not exist.`, type: 'NotFoundError', param: 'model', code: 404 } };
  },
  // vLLM's serving layer (_validate_input): the prompt alone, or the prompt with max_tokens.
  contextLengthExceeded(maxModelLen, promptTokens, maxTokens) {
    const message =
      promptTokens > maxModelLen || maxTokens === undefined
        ? `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${promptTokens} input tokens. Please reduce the length of the input messages.`
        : `'max_tokens' or 'max_completion_tokens' is too large: ${maxTokens}. This model's maximum context length is ${maxModelLen} tokens and your request has ${promptTokens} input tokens (${maxTokens} > ${maxModelLen} - ${promptTokens}).`;
    return { error: { message, type: 'BadRequestError', param: null, code: 400 } };
  },
  messageExtras: { reasoning_content: null },
  emptyToolCalls: true,
  stopReason: true,
  chunkEnvelope: {},
  // vLLM serialises non-stream bodies with every field, unset ones as null.
  bodyEnvelope: { service_tier: null, system_fingerprint: null, prompt_logprobs: null, kv_transfer_params: null },
  roleDelta: {},
  usage(promptTokens, completionTokens) {
    return { prompt_tokens: promptTokens, total_tokens: promptTokens + completionTokens, completion_tokens: completionTokens };
  },
  modelCard(model, created, maxModelLen) {
    return {
      id: model,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: model,
      parent: null,
      max_model_len: maxModelLen,
      permission: [
        {
          id: `modelperm-${model.length.toString(16).padStart(8, '0')}`,
          object: 'model_permission',
          created,
          allow_create_engine: false,
          allow_sampling: true,
          allow_logprobs: true,
          allow_search_indices: false,
          allow_view: true,
          allow_fine_tuning: false,
          organization: '*',
          group: null,
          is_blocking: false,
        },
      ],
    };
  },
};

export function flavorOf(kind: SimKind): SimFlavor {
  return kind === 'vllm' ? vllmFlavor : openaiFlavor;
}
