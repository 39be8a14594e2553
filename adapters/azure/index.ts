/**
 * Azure OpenAI: OpenAI's wire format at another address, signed another way. The body and the answers
 * are OpenAI's, so translation reuses the OpenAI-compatible base (its body builder, response and
 * stream translators, error classifier); what is Azure's own is here: deployment URLs with an
 * `api-version` (or the v1 API), the `api-key` header or an Entra ID token, the filter-only first
 * stream chunk, Azure's rate-limit headers, and answers that name the model version rather than the
 * deployment; and Azure's own Responses API (responses.ts), which takes a Responses request as the
 * client wrote it. No floating-model rule: a deployment name is the customer's own label, and the model
 * version behind it is fixed per deployment in Azure (an auto-upgrade shows up as drift through
 * `model_versions`, not in the name). No prefill: Azure's models do not continue an assistant message.
 */
import { speaksNative, type NativeWire, type ProviderAdapter, type ProviderKind } from '../types.js';
import { azureSettings, defaultApiVersion, type AzureSettings } from './settings.js';
import { azureProfile, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { AzureStreamTranslator } from './stream.js';
import { classifyError } from './errors.js';
import { authorize } from './auth.js';
import { buildResponsesRequest, createResponsesStreamTranslator, translateResponsesResponse } from './responses.js';

/** Azure serves the Responses API itself (responses.ts): such requests go as the client sent them. */
const nativeWires: ReadonlySet<NativeWire> = new Set<NativeWire>(['openai-responses']);
const native = { nativeWires };

export const azureAdapter: ProviderAdapter<AzureSettings> = {
  type: 'azure',
  operations: azureProfile.operations,
  nativeWires,
  buildRequest: (req, target) =>
    req.native && speaksNative(native, req) ? buildResponsesRequest(req.native, req, target) : buildRequest(req, target),
  translateResponse: (req, body, target) =>
    speaksNative(native, req) ? translateResponsesResponse(body, target) : translateResponse(req, body, target),
  createStreamTranslator: (req, target) =>
    speaksNative(native, req) ? createResponsesStreamTranslator(target) : new AzureStreamTranslator(req, target),
  authorize,
  classifyError,
  // The resource's model list: a free data-plane GET that needs the same credentials as a completion.
  healthPath: `/openai/models?api-version=${defaultApiVersion}`,
};

export const azureKind: ProviderKind<typeof azureSettings> = {
  adapter: azureAdapter,
  settings: azureSettings,
  secrets: ['api_key', 'ad_token'],
};
