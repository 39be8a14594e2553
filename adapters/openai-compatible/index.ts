/**
 * The OpenAI-compatible family: OpenAI itself and the servers that speak its wire format (vLLM, TGI,
 * SGLang, llama.cpp, Ollama's /v1, anything else behind a base URL). One implementation, one adapter
 * value per profile; how each server differs from OpenAI is data in profiles.ts. Every type of the
 * family has the same settings (settings.ts) and the same auth step (auth.ts). A profile that speaks a
 * front door's wire itself (OpenAI: the Responses API) sends such requests as the client wrote them
 * and passes the answer back unchanged (responses/native.ts, responses/native-stream.ts).
 */
import { speaksNative, type ProviderAdapter, type ProviderKind } from '../types.js';
import { nativePaths, profiles, type OpenAICompatibleProfile, type OpenAICompatibleType } from './profiles.js';
import { openAICompatibleSettings, prefillStyles, type OpenAICompatibleSettings } from './settings.js';
import { buildContinuation, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { OpenAICompatibleStreamTranslator } from './stream.js';
import { classifyError } from './errors.js';
import { authorize } from './auth.js';
import { nativeRequest, translateNativeResponse } from './responses/native.js';
import { NativeResponsesStreamTranslator } from './responses/native-stream.js';

export function openAICompatibleAdapter(profile: OpenAICompatibleProfile): ProviderAdapter<OpenAICompatibleSettings> {
  // A request from a front door whose wire the server speaks (profile.nativeWires) goes as the client sent it.
  const native = { nativeWires: profile.nativeWires };
  const adapter: ProviderAdapter<OpenAICompatibleSettings> = {
    type: profile.type,
    operations: profile.operations,
    ...(profile.nativeWires ? { nativeWires: profile.nativeWires } : {}),
    buildRequest: (req, target) =>
      req.native && speaksNative(native, req)
        ? nativeRequest(req.native, nativePaths[req.native.wire], target, req.stream)
        : buildRequest(profile, req, target),
    buildContinuation: (req, prefix, target) => (speaksNative(native, req) ? undefined : buildContinuation(profile, req, prefix, target)),
    translateResponse: (req, body, target) =>
      speaksNative(native, req) ? translateNativeResponse(body) : translateResponse(req, body, target),
    createStreamTranslator: (req, target) =>
      speaksNative(native, req) ? new NativeResponsesStreamTranslator() : new OpenAICompatibleStreamTranslator(req, target),
    authorize,
    classifyError,
  };
  return profile.healthPath === undefined ? adapter : { ...adapter, healthPath: profile.healthPath };
}

export type OpenAICompatibleKind = ProviderKind<typeof openAICompatibleSettings>;

/** One entry per profile, keyed by its type (named keys, so the registry's type lists every type). */
export const openAICompatibleKinds = Object.fromEntries(
  profiles.map((profile): [string, OpenAICompatibleKind] => [
    profile.type,
    {
      adapter: openAICompatibleAdapter(profile),
      settings: openAICompatibleSettings,
      secrets: ['api_key'],
      prefill: { key: 'prefill', styles: prefillStyles, defaultStyle: profile.prefill },
      ...(profile.floatingModel ? { floatingModel: profile.floatingModel } : {}),
    },
  ]),
) as Record<OpenAICompatibleType, OpenAICompatibleKind>;
