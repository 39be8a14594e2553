/**
 * What a provider of the OpenAI-compatible family adds to the keys every provider has (base_url or
 * endpoints, headers, max_connections, connect_timeout_ms, health_check: config/schema.ts): the
 * bearer key. It is per type, not common, because credentials are: Anthropic's native API wants
 * `x-api-key`, Bedrock AWS credentials and SigV4, Vertex an OAuth token; each adapter declares its own.
 * No `api-version`: no type of this family needs one (Azure's v1 surface does not).
 */
import { z } from 'zod';

export const openAICompatibleSettings = z.strictObject({
  api_key: z
    .string()
    .optional()
    .describe(
      'The credential, sent as Authorization: Bearer; write it as ${ENV_VAR}, never inline. An Authorization header under headers replaces it.',
    ),
});

export type OpenAICompatibleSettings = z.output<typeof openAICompatibleSettings>;
