/**
 * What a provider of the OpenAI-compatible family adds to the keys every provider has (base_url or
 * endpoints, headers, max_connections, connect_timeout_ms, health_check: config/schema.ts): the
 * bearer key, and how the server continues a partial assistant answer (prefill). They are per type,
 * not common, because credentials and prefill are: Anthropic's native API wants `x-api-key` and
 * prefills natively, Bedrock AWS credentials and SigV4, Vertex an OAuth token; each adapter declares
 * its own. No `api-version`: no type of this family needs one (Azure's v1 surface does not).
 */
import { z } from 'zod';

/**
 * How an OpenAI-compatible server continues a partial assistant answer, with the servers that speak
 * each style (the config's error for a prefill capability without a style quotes them):
 * `continue_final_message: true` with `add_generation_prompt: false`; the final assistant message as
 * it is; that message with `prefix: true`.
 */
export const prefillStyles = {
  continue_final_message: 'vLLM, SGLang',
  last_assistant: "llama.cpp's server, OpenRouter",
  prefix_flag: 'DeepSeek, Mistral',
} as const;

export type PrefillStyle = keyof typeof prefillStyles;

const styleNames = Object.keys(prefillStyles) as [PrefillStyle, ...PrefillStyle[]];

export const openAICompatibleSettings = z.strictObject({
  api_key: z
    .string()
    .optional()
    .describe(
      'The credential, sent as Authorization: Bearer; write it as ${ENV_VAR}, never inline. An Authorization header under headers replaces it.',
    ),
  prefill: z
    .enum(styleNames)
    .optional()
    .describe(
      "How this server continues a partial assistant answer, for deployments with capabilities [prefill]: continue_final_message (vLLM, SGLang), last_assistant (llama.cpp's server, OpenRouter) or prefix_flag (DeepSeek, Mistral). Default: continue_final_message for types vllm and sglang; none for the others.",
    ),
});

export type OpenAICompatibleSettings = z.output<typeof openAICompatibleSettings>;
