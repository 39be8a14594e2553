/**
 * What a `bedrock` provider adds to the keys every provider has (config/schema.ts). Unlike OpenAI,
 * Bedrock has no single host and no static key: the region picks the endpoint and is part of every
 * signature, and credentials are AWS's (SigV4 from the standard chain, or explicit keys) or a Bedrock
 * API key sent as a bearer token, which skips SigV4.
 *
 * `base_url` stays required, as for every provider (the config's rule: base_url or endpoints); write
 * `https://bedrock-runtime.<region>.amazonaws.com`. Requests are signed for that host whatever the
 * base URL says (the Host header is set to it), so a proxy or the simulator may stand in between.
 */
import { z } from 'zod';

/** How a Bedrock model continues a partial assistant answer: a final assistant message it extends. */
export const prefillStyles = {
  last_assistant: 'Anthropic Claude on Bedrock (and other Converse models that accept a final assistant message)',
} as const;

const secretRef = (what: string) =>
  z.string().min(1).optional().describe(`${what}; write it as \${ENV_VAR}, never inline. Overrides the standard AWS credential chain.`);

export const bedrockSettings = z.strictObject({
  region: z
    .string()
    .regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1')
    .describe('The AWS region (e.g. us-east-1): the endpoint bedrock-runtime.<region>.amazonaws.com and the SigV4 scope.'),
  api_key: z
    .string()
    .min(1)
    .optional()
    .describe('A Bedrock API key, sent as Authorization: Bearer instead of a SigV4 signature; write it as ${ENV_VAR}.'),
  access_key_id: secretRef('An AWS access key id'),
  secret_access_key: secretRef('The secret access key of access_key_id'),
  session_token: secretRef('The session token of temporary credentials'),
  prefill: z
    .enum(['last_assistant'])
    .optional()
    .describe('How a partial assistant answer is continued, for deployments with capabilities [prefill]; default last_assistant.'),
});

export type BedrockSettings = z.output<typeof bedrockSettings>;

/** The host a request to this region is signed for (and sent to, as its Host header). */
export function regionHost(region: string): string {
  return `bedrock-runtime.${region}.amazonaws.com`;
}
