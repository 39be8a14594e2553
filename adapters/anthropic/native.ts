/**
 * The Messages API spoken natively: a request that came in through the Anthropic front door goes to
 * Anthropic as the client wrote it (only `model` becomes the deployment's, spliced into the client's
 * bytes rather than re-serialised), to /v1/messages or /v1/messages/count_tokens, with the provider's
 * `anthropic-version` and the client's `anthropic-beta` joined to the provider's own. The answer goes
 * back as it came; only usage and the model are read from it (a token count has no usage: nothing was
 * generated). Nothing here translates: that is the point.
 */
import type { ClientRequest, NativeRequest, TranslatedResponse, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson } from '../shared/json.js';
import { spliceTopLevel } from '../shared/json-splice.js';
import type { AnthropicSettings } from './settings.js';
import { messagesPath, upstreamHeaders } from './request.js';
import { usageOf } from './response.js';
import { classifyStreamError } from './errors.js';

export const countTokensPath = '/v1/messages/count_tokens';

/** The client's body with the deployment's model, as bytes: spliced when the client's text allows, else re-serialised. */
export function nativeBodyOf(native: NativeRequest, model: string): Buffer {
  if (native.body['model'] === model) return native.raw;
  const edited = { ...native.body, model };
  return spliceTopLevel(native.raw, native.body, edited) ?? Buffer.from(JSON.stringify(edited));
}

/** Beta features the provider opts into and those the client asked for, each once. */
function betaOf(configured: string | undefined, client: string | undefined): string | undefined {
  const names = [configured, client].flatMap((list) => (list === undefined ? [] : list.split(',')));
  const unique = [...new Set(names.map((n) => n.trim()).filter((n) => n !== ''))];
  return unique.length > 0 ? unique.join(',') : undefined;
}

export function buildNativeRequest(
  req: ClientRequest,
  native: NativeRequest,
  target: UpstreamTarget<AnthropicSettings>,
): UpstreamHttpRequest {
  const countTokens = req.operation === 'count_tokens';
  const headers = upstreamHeaders(target.provider, req.stream && !countTokens);
  const beta = betaOf(headers['anthropic-beta'], native.headers['anthropic-beta']);
  if (beta !== undefined) headers['anthropic-beta'] = beta;
  return { method: 'POST', path: countTokens ? countTokensPath : messagesPath, headers, body: nativeBodyOf(native, target.model) };
}

function failure(message: string): UpstreamError {
  return new UpstreamError(upstreamErrorOf('server', message, { code: null, param: null }));
}

/** The upstream's body as it came, with the usage and model it reports. */
export function translateNativeResponse(req: ClientRequest, body: Buffer): TranslatedResponse {
  const text = body.toString('utf8');
  const doc = tryParseJson(text);
  if (!isRecord(doc)) throw failure('upstream answered 2xx with a body that is not a JSON object');
  if (doc['type'] === 'error') throw new UpstreamError(classifyStreamError(text));
  if (req.operation === 'count_tokens') {
    if (typeof doc['input_tokens'] !== 'number') throw failure('upstream answered a token count without input_tokens');
    return { body: text };
  }
  if (doc['type'] !== 'message') throw failure('upstream answered 2xx without a message');
  const out: TranslatedResponse = { body: text };
  if (typeof doc['model'] === 'string' && doc['model'] !== '') out.model = doc['model'];
  const usage = usageOf(doc['usage']);
  if (usage) out.usage = usage;
  return out;
}
