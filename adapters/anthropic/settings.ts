/**
 * What an `anthropic` provider adds to the keys every provider has (config/schema.ts). Unlike the
 * OpenAI family, the key goes in `x-api-key` (not a bearer token), every request names the API
 * version it speaks (`anthropic-version`), opt-in features are `anthropic-beta` headers, and
 * `max_tokens` is required, so the gateway needs a default for clients that send none.
 */
import { z } from 'zod';
import { anthropicVersion } from './wire.js';

/**
 * The output cap sent when the client sets neither `max_completion_tokens` nor `max_tokens`. 4096 is
 * the largest cap every Claude model still served accepts (claude-3-haiku's maximum output is 4096;
 * a larger default would make its requests fail with a 400), and it is long enough for a chat answer.
 * Clients that want longer answers say so, as they must with Anthropic's own SDK.
 */
export const defaultMaxTokens = 4096;

/** Anthropic continues a final assistant message natively: the only style it has. */
export const prefillStyles = { last_assistant: 'Anthropic (a final assistant message is continued)' } as const;

export const anthropicSettings = z.strictObject({
  api_key: z.string().optional().describe('The credential, sent as x-api-key; write it as ${ENV_VAR}, never inline.'),
  anthropic_version: z
    .string()
    .min(1)
    .optional()
    .describe(`The anthropic-version header sent with every request. Default ${anthropicVersion}.`),
  beta: z
    .array(z.string().min(1))
    .optional()
    .describe('Beta features to opt in to, sent as one anthropic-beta header (comma-separated), e.g. [prompt-caching-2024-07-31].'),
  default_max_tokens: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      `max_tokens for requests that set neither max_completion_tokens nor max_tokens (Anthropic requires one). Default ${defaultMaxTokens}: the largest every Claude model accepts.`,
    ),
  prefill: z
    .enum(['last_assistant'])
    .optional()
    .describe('How a partial assistant answer is continued: last_assistant, the only style Anthropic has (and the default).'),
});

export type AnthropicSettings = z.output<typeof anthropicSettings>;
