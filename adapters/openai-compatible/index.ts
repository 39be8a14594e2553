/**
 * The OpenAI-compatible family: OpenAI itself and the servers that speak its wire format (vLLM, TGI,
 * SGLang, llama.cpp, Ollama's /v1, anything else behind a base URL). One implementation, one adapter
 * value per profile; how each server differs from OpenAI is data in profiles.ts.
 */
import type { ProviderAdapter } from '../types.js';
import { profiles, type OpenAICompatibleProfile } from './profiles.js';
import { buildContinuation, buildRequest } from './request.js';
import { translateResponse } from './response.js';
import { OpenAICompatibleStreamTranslator } from './stream.js';
import { classifyError } from './errors.js';

export function openAICompatibleAdapter(profile: OpenAICompatibleProfile): ProviderAdapter {
  const adapter: ProviderAdapter = {
    type: profile.type,
    operations: profile.operations,
    buildRequest: (req, target) => buildRequest(profile, req, target),
    buildContinuation: (req, prefix, target) => buildContinuation(profile, req, prefix, target),
    translateResponse,
    createStreamTranslator: (req, target) => new OpenAICompatibleStreamTranslator(req, target),
    classifyError,
  };
  return profile.healthPath === undefined ? adapter : { ...adapter, healthPath: profile.healthPath };
}

export const openAICompatibleAdapters: Record<string, ProviderAdapter> = Object.fromEntries(
  profiles.map((profile) => [profile.type, openAICompatibleAdapter(profile)]),
);
