/**
 * A Gemini API provider's own keys: only the API key, sent as `x-goog-api-key` rather than OpenAI's
 * bearer token. Google also takes `?key=`, which would put the secret in URLs and logs: not used. The
 * paths are rooted at `v1beta`, the version that takes JSON Schema for tool parameters and response
 * schemas as OpenAI clients write them (`parametersJsonSchema`, `responseJsonSchema`).
 */
import { z } from 'zod';

export const geminiSettings = z.strictObject({
  api_key: z
    .string()
    .optional()
    .describe('The Gemini API key (Google AI Studio), sent as x-goog-api-key; write it as ${ENV_VAR}, never inline.'),
});

export type GeminiSettings = z.output<typeof geminiSettings>;
