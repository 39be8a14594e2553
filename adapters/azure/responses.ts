/**
 * Azure OpenAI's own Responses API, for requests that came in through the Responses front door: the
 * client's body goes as it is, its `model` the Azure deployment name (Azure reads the deployment from
 * the body here, on either API). The address depends on the provider's `api_version`: the v1 API
 * serves `/openai/v1/responses`; a dated version serves `/openai/responses?api-version=` only from
 * `2025-03-01-preview` on, so an older one (the default GA version among them) uses the v1 path,
 * which every resource that has the Responses API serves.
 */
import type { ClientRequest, NativeRequest, StreamTranslator, TranslatedResponse, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { nativeRequest, translateNativeResponse } from '../openai-compatible/responses/native.js';
import { NativeResponsesStreamTranslator } from '../openai-compatible/responses/native-stream.js';
import { modelForDriftCheck } from './response.js';
import { v1ApiVersion, type AzureSettings } from './settings.js';

/** The first dated API version with the Responses API. */
export const firstResponsesApiVersion = '2025-03-01-preview';

/** The Responses address for the provider's API version (see the header). */
export function azureResponsesPath(settings: AzureSettings): string {
  const version = settings.api_version;
  // Dated versions compare as text: YYYY-MM-DD first, and `-preview` after the same date's GA.
  if (version === v1ApiVersion || version < firstResponsesApiVersion) return '/openai/v1/responses';
  return `/openai/responses?api-version=${encodeURIComponent(version)}`;
}

export function buildResponsesRequest(
  native: NativeRequest,
  req: ClientRequest,
  target: UpstreamTarget<AzureSettings>,
): UpstreamHttpRequest {
  return nativeRequest(native, azureResponsesPath(target.provider), target, req.stream);
}

/** The upstream's body unchanged; its model mapped for the drift check as Azure's chat answers are. */
export function translateResponsesResponse(body: Buffer, target: UpstreamTarget<AzureSettings>): TranslatedResponse {
  const translated = translateNativeResponse(body);
  const out: TranslatedResponse = { body: translated.body };
  const model = modelForDriftCheck(translated.model, target);
  if (model !== undefined) out.model = model;
  if (translated.usage) out.usage = translated.usage;
  return out;
}

export function createResponsesStreamTranslator(target: UpstreamTarget<AzureSettings>): StreamTranslator {
  return new NativeResponsesStreamTranslator((model) => modelForDriftCheck(model, target));
}
