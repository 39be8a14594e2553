/**
 * The client's OpenAI request, for an OpenAI-compatible server. The body is the client's own, with
 * `model` set to the deployment's upstream model and the profile's quirks applied (profiles.ts); for
 * streams the upstream is always asked for usage, so tokens are counted even when the client did not
 * ask (the stream translator hides it again). When nothing changes, the client's exact bytes are sent;
 * otherwise the changed members are spliced into them (json-splice.ts).
 * Client headers are never forwarded: only ours and the provider's static headers. The provider's key
 * is not translation: authorize (auth.ts) adds it to the final request.
 */
import type { ClientRequest, OpenAIOperation, ProviderIdentity, StreamProgress, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { isRecord, type JsonObject } from '../shared/json.js';
import { spliceTopLevel } from '../shared/json-splice.js';
import type { OpenAICompatibleProfile } from './profiles.js';
import type { OpenAICompatibleSettings } from './settings.js';

/** Array.isArray without narrowing to `any[]`. */
const isArray = (value: unknown): value is readonly unknown[] => Array.isArray(value);

const paths: Readonly<Record<OpenAIOperation, string>> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

export function buildRequest(profile: OpenAICompatibleProfile, req: ClientRequest, target: UpstreamTarget): UpstreamHttpRequest {
  const body = upstreamBody(profile, req, target.model);
  return {
    method: 'POST',
    // The profile's operations are OpenAI's (planning never sends this adapter a count_tokens).
    path: paths[req.operation as OpenAIOperation],
    headers: upstreamHeaders(target.provider, req.stream),
    // The client's bytes with only the changed members re-encoded; whole re-serialisation is the fallback.
    body: body === undefined ? req.raw : (spliceTopLevel(req.raw, req.body, body) ?? JSON.stringify(body)),
  };
}

export function upstreamHeaders(provider: ProviderIdentity, stream: boolean): Record<string, string> {
  // Static header names were lower-cased at load, so a configured one replaces ours of the same name
  // (and a configured `Authorization` the bearer key) instead of being sent beside it.
  return {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...provider.headers,
  };
}

/**
 * The body to send, or undefined when the client's bytes can go as they are. A shallow copy is made on
 * the first change; `req.body` is never mutated (nested objects are replaced, not edited).
 */
export function upstreamBody(profile: OpenAICompatibleProfile, req: ClientRequest, model: string): JsonObject | undefined {
  const body = req.body;
  let copy: JsonObject | undefined;
  const edit = (): JsonObject => (copy ??= { ...body });

  if (body['model'] !== model) edit()['model'] = model;

  if (req.stream && req.operation !== 'embeddings') {
    const options = body['stream_options'];
    if (!isRecord(options) || options['include_usage'] !== true) {
      edit()['stream_options'] = { ...(isRecord(options) ? options : {}), include_usage: true };
    }
  }

  if (profile.maxCompletionTokensAsMaxTokens && body['max_completion_tokens'] !== undefined) {
    const value = body['max_completion_tokens'];
    const out = edit();
    delete out['max_completion_tokens'];
    // The preferred field wins over a deprecated `max_tokens` sent beside it.
    if (value !== null) out['max_tokens'] = value;
  }

  if (profile.stopAsArray && typeof body['stop'] === 'string') edit()['stop'] = [body['stop']];

  if (req.operation === 'embeddings' && !profile.base64Embeddings && body['encoding_format'] === 'base64') {
    // The response translator encodes the floats for the client (it reads the client's own body).
    edit()['encoding_format'] = 'float';
  }

  return copy;
}

/**
 * Continue an assistant answer another deployment broke off: the conversation plus the partial answer
 * as a final assistant message that the server extends, in the server's style (the provider's
 * `prefill` setting, else its type's default): `continue_final_message` (with
 * `add_generation_prompt: false`), the final assistant message as it is (`last_assistant`), or that
 * message with `prefix: true` (`prefix_flag`). The output cap shrinks by what was already sent.
 */
export function buildContinuation(
  profile: OpenAICompatibleProfile,
  req: ClientRequest,
  prefix: StreamProgress,
  target: UpstreamTarget<OpenAICompatibleSettings>,
): UpstreamHttpRequest | undefined {
  const style = target.provider.prefill ?? profile.prefill;
  const messages: unknown = req.body['messages'];
  if (style === undefined || req.operation !== 'chat' || !isArray(messages) || !prefix.continuable) return undefined;
  const partial: JsonObject = { role: 'assistant', content: prefix.text };
  const body: JsonObject = { ...(upstreamBody(profile, req, target.model) ?? { ...req.body }), messages: [...messages, partial] };
  if (style === 'continue_final_message') {
    body['continue_final_message'] = true;
    body['add_generation_prompt'] = false;
  } else if (style === 'prefix_flag') {
    partial['prefix'] = true;
  }
  for (const cap of ['max_completion_tokens', 'max_tokens']) {
    const value = body[cap];
    if (typeof value === 'number') body[cap] = Math.max(1, value - prefix.contentChunks);
  }
  return { method: 'POST', path: paths.chat, headers: upstreamHeaders(target.provider, true), body: JSON.stringify(body) };
}
