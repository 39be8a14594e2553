/**
 * A Vertex AI provider's own keys. Vertex serves the same Gemini models and JSON, but per Google
 * Cloud project and location, with OAuth 2 access tokens (cloud-platform scope) instead of an API
 * key: from a service-account key file, or Application Default Credentials when none is named. A
 * fixed `access_token` (e.g. `gcloud auth print-access-token`, short-lived) or an Express-mode
 * `api_key` replace the library. The base URL stays the transport's: `https://{location}-aiplatform.googleapis.com`
 * for a region, `https://aiplatform.googleapis.com` for `global`.
 */
import { z } from 'zod';

export const vertexSettings = z.strictObject({
  project: z.string().min(1).describe('The Google Cloud project id that owns the Vertex AI calls.'),
  location: z
    .string()
    .min(1)
    .describe(
      'The Vertex AI location, e.g. us-central1 or global; base_url must be its endpoint (https://{location}-aiplatform.googleapis.com, or https://aiplatform.googleapis.com for global).',
    ),
  credentials_file: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A service-account key file (JSON); absent: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server).',
    ),
  access_token: z
    .string()
    .optional()
    .describe('A fixed OAuth 2 access token instead of the library (it expires: tests and short jobs); write it as ${ENV_VAR}.'),
  api_key: z
    .string()
    .optional()
    .describe('A Vertex AI Express-mode API key, sent as x-goog-api-key instead of a token; write it as ${ENV_VAR}.'),
});

export type VertexSettings = z.output<typeof vertexSettings>;
