/**
 * A 2xx Azure OpenAI body into OpenAI's shape. Azure answers in OpenAI's format, so the shared
 * translator (adapters/openai-compatible/response.ts) repairs and passes it on; Azure's filter
 * annotations (`prompt_filter_results`, each choice's `content_filter_results`) are extra members the
 * SDKs ignore, and go through untouched. What differs is the answer's `model`: Azure names the model
 * version behind the deployment (`gpt-4o-2024-08-06`), never the deployment name the gateway pinned.
 * The client sees it as Azure sent it; the gateway's drift check sees the deployment name when the
 * version is the one `model_versions` expects, the version itself when it is another, and nothing when
 * the deployment has no expected version (see TranslatedResponse.model).
 */
import type { ClientRequest, TranslatedResponse, UpstreamTarget } from '../types.js';
import { translateResponse as translateOpenAICompatible } from '../openai-compatible/response.js';
import type { AzureSettings } from './settings.js';

/** The model the drift check compares with the deployment's `model` (see the header). */
export function modelForDriftCheck(answered: string | undefined, target: UpstreamTarget<AzureSettings>): string | undefined {
  const versions = target.provider.model_versions;
  const expected = versions !== undefined && Object.hasOwn(versions, target.model) ? versions[target.model] : undefined;
  if (expected === undefined || answered === undefined || answered === '') return undefined;
  return answered === expected ? target.model : answered;
}

export function translateResponse(req: ClientRequest, body: Buffer, target: UpstreamTarget<AzureSettings>): TranslatedResponse {
  const translated = translateOpenAICompatible(req, body, target);
  const model = modelForDriftCheck(translated.model, target);
  const out: TranslatedResponse = { body: translated.body };
  if (model !== undefined) out.model = model;
  if (translated.usage) out.usage = translated.usage;
  return out;
}
