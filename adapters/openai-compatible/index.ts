/**
 * The OpenAI-compatible family: OpenAI itself and the servers that speak its wire format (vLLM, TGI,
 * SGLang, llama.cpp, Ollama's /v1, anything else behind a base URL). One implementation, one adapter
 * value per profile; how each server differs from OpenAI is data in profiles.ts. Every type of the
 * family has the same settings (settings.ts) and the same auth step (auth.ts).
 */
import type { ProviderAdapter, ProviderKind } from '../types.js';
import { profiles, type OpenAICompatibleProfile, type OpenAICompatibleType } from './profiles.js';
import { openAICompatibleSettings, prefillStyles, type OpenAICompatibleSettings } from './settings.js';
import { buildContinuation, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { OpenAICompatibleStreamTranslator } from './stream.js';
import { classifyError } from './errors.js';
import { authorize } from './auth.js';

export function openAICompatibleAdapter(profile: OpenAICompatibleProfile): ProviderAdapter<OpenAICompatibleSettings> {
  const adapter: ProviderAdapter<OpenAICompatibleSettings> = {
    type: profile.type,
    operations: profile.operations,
    buildRequest: (req, target) => buildRequest(profile, req, target),
    buildContinuation: (req, prefix, target) => buildContinuation(profile, req, prefix, target),
    translateResponse,
    createStreamTranslator: (req, target) => new OpenAICompatibleStreamTranslator(req, target),
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
