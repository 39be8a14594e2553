/**
 * What an Azure OpenAI provider adds to the keys every provider has (config/schema.ts). Azure differs
 * from OpenAI in where a request goes and how it is signed, not in what it says: the resource's
 * endpoint is the `base_url`; a deployment's `model` is the Azure deployment name (the customer's own
 * label, in the URL); `api_version` picks the dated data-plane API (`?api-version=`) or the v1 API;
 * the credential is an `api-key` header or an Entra ID token sent as a bearer, never both. Azure
 * answers name the model version behind the deployment, not the deployment: `model_versions` says
 * which one each deployment must serve, so that an answer from another (an auto-upgrade) is drift.
 */
import { z } from 'zod';

/** The latest GA data-plane inference version (Azure's API version lifecycle page), used when none is set. */
export const defaultApiVersion = '2024-10-21';

/** The value of `api_version` that selects the v1 API: `/openai/v1/...`, `model` in the body, no `api-version` query. */
export const v1ApiVersion = 'v1';

const apiVersionPattern = /^(?:v1|\d{4}-\d{2}-\d{2}(?:-preview)?)$/;

export const azureSettings = z.strictObject({
  api_key: z
    .string()
    .optional()
    .describe(
      'The resource key, sent as the api-key header; write it as ${ENV_VAR}, never inline. Give exactly one of api_key and ad_token. An api-key or Authorization header under headers replaces it.',
    ),
  ad_token: z
    .string()
    .optional()
    .describe(
      'A Microsoft Entra ID access token (scope https://cognitiveservices.azure.com/.default), sent as Authorization: Bearer; from the environment (${AZURE_OPENAI_AD_TOKEN}). Give exactly one of api_key and ad_token.',
    ),
  api_version: z
    .string()
    .regex(apiVersionPattern, 'api_version must be a dated version (YYYY-MM-DD or YYYY-MM-DD-preview) or v1')
    .default(defaultApiVersion)
    .describe(
      `The data-plane API version sent as ?api-version= on deployment URLs (/openai/deployments/<model>/...), default ${defaultApiVersion} (the latest GA); or v1 for the v1 API (/openai/v1/..., the deployment name as the body's model, no api-version).`,
    ),
  model_versions: z
    .record(z.string().min(1), z.string().min(1))
    .optional()
    .describe(
      "Per deployment name (a deployment's model), the model version Azure must answer with (e.g. chat: gpt-4o-2024-08-06). An answer naming another version counts as drift (an auto-upgraded deployment); deployments not listed are not checked, since Azure never names the deployment itself.",
    ),
});

export type AzureSettings = z.output<typeof azureSettings>;
