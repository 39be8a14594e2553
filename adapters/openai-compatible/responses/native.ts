/**
 * A Responses request sent as it came, to an upstream that speaks the Responses API (OpenAI, Azure
 * OpenAI), and its non-stream answer: the client's bytes with only `model` replaced by the
 * deployment's, and the upstream's body back unchanged. What the gateway reads from that body is the
 * usage (`input_tokens`, `output_tokens`, cached tokens) and the model that answered.
 */
import type { NativeRequest, TranslatedResponse, UpstreamHttpRequest, UpstreamTarget, Usage } from '../../types.js';
import { UpstreamError, upstreamErrorOf } from '../../upstream-error.js';
import { isRecord, tryParseJson } from '../../shared/json.js';
import { spliceTopLevel } from '../../shared/json-splice.js';
import { classifyErrorPayload } from '../errors.js';
import { upstreamHeaders } from '../request.js';

/** The client's body with `model` set to the upstream's: spliced into its bytes when it differs. */
export function nativeBody(native: NativeRequest, model: string): Buffer | string {
  if (native.body['model'] === model) return native.raw;
  const edited = { ...native.body, model };
  return spliceTopLevel(native.raw, native.body, edited) ?? JSON.stringify(edited);
}

/** The upstream request for a native Responses request: `path` is the provider's Responses address. */
export function nativeRequest(native: NativeRequest, path: string, target: UpstreamTarget, stream: boolean): UpstreamHttpRequest {
  return { method: 'POST', path, headers: upstreamHeaders(target.provider, stream), body: nativeBody(native, target.model) };
}

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The gateway's Usage from a Response's `usage`; undefined when it has no token counts. */
export function nativeUsage(usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const input = count(usage['input_tokens']);
  const output = count(usage['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  const out: Usage = {
    promptTokens: input ?? 0,
    completionTokens: output ?? 0,
    totalTokens: count(usage['total_tokens']) ?? (input ?? 0) + (output ?? 0),
  };
  const details = usage['input_tokens_details'];
  const cached = isRecord(details) ? count(details['cached_tokens']) : undefined;
  if (cached !== undefined) out.cachedTokens = cached;
  return out;
}

/** A 2xx Responses body: returned as it is, with its usage and model read. */
export function translateNativeResponse(body: Buffer): TranslatedResponse {
  const text = body.toString('utf8');
  const doc = tryParseJson(text);
  if (!isRecord(doc)) {
    throw new UpstreamError(
      upstreamErrorOf('server', 'upstream answered 2xx with a body that is not a JSON object', { code: null, param: null }),
    );
  }
  if (doc['object'] !== 'response' && isRecord(doc['error'])) throw new UpstreamError(classifyErrorPayload(doc));
  const out: TranslatedResponse = { body: text };
  if (typeof doc['model'] === 'string' && doc['model'] !== '') out.model = doc['model'];
  const usage = nativeUsage(doc['usage']);
  if (usage) out.usage = usage;
  return out;
}
