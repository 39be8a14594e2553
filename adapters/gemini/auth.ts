/**
 * Credentials, apart from translation: the Gemini API key as `x-goog-api-key` (Google's header; not
 * OpenAI's bearer token, and not the `?key=` query, which would leak it into URLs and logs), set on
 * the final request, health probes included. A configured `x-goog-api-key` header wins.
 */
import type { AuthTarget, UpstreamHttpRequest } from '../types.js';
import type { GeminiSettings } from './settings.js';

export function authorize(request: UpstreamHttpRequest, target: AuthTarget<GeminiSettings>): UpstreamHttpRequest {
  const key = target.provider.api_key;
  if (key && request.headers['x-goog-api-key'] === undefined) request.headers['x-goog-api-key'] = key;
  return request;
}
