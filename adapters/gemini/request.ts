/**
 * The client's OpenAI request as a Gemini `generateContent` (or `embedContent`) request. Where Gemini
 * differs: the system prompt leaves the conversation (`systemInstruction`); assistant turns are role
 * `model`; a tool result is a `functionResponse` part in a `user` turn, named by the function, not by
 * a call id (Gemini's calls have none), so the name is found from the assistant turn that made the
 * call; the result must be an object, so text is wrapped as `{result}`; consecutive tool results
 * share one turn. Sampling moves under `generationConfig`; tools become `functionDeclarations` with
 * their JSON Schema as `parametersJsonSchema`. The model is in the path, streaming is another method
 * (`:streamGenerateContent?alt=sse`). An OpenAI request Gemini cannot express is refused here as a
 * `bad_request`, before anything is sent.
 */
import type { ClientRequest, ProviderIdentity, UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import type {
  GeminiContent,
  GeminiEmbedContentRequest,
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiTool,
  GeminiToolConfig,
} from './wire.js';

export const apiRoot = '/v1beta';

/** `models/x` and `x` name the same model: the path wants the bare id once. */
export function modelPath(model: string): string {
  return `${apiRoot}/models/${encodeURIComponent(model.startsWith('models/') ? model.slice('models/'.length) : model)}`;
}

function invalid(message: string, param: string | null = null): UpstreamError {
  return new UpstreamError(upstreamErrorOf('bad_request', message, { status: 400, code: 'invalid_request_error', param }));
}

export function upstreamHeaders(provider: ProviderIdentity, stream: boolean): Record<string, string> {
  return { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...provider.headers };
}

export function buildRequest(req: ClientRequest, target: UpstreamTarget): UpstreamHttpRequest {
  if (req.operation === 'embeddings') return buildEmbeddingsRequest(req, target);
  return buildGenerateRequest(req, target, modelPath(target.model));
}

/** generateContent or its SSE stream at `base` (a model's path: the Gemini API's or Vertex AI's). */
export function buildGenerateRequest(req: ClientRequest, target: UpstreamTarget, base: string): UpstreamHttpRequest {
  if (req.operation !== 'chat') throw invalid('Gemini has no legacy completions endpoint; use chat completions');
  const method = req.stream ? ':streamGenerateContent?alt=sse' : ':generateContent';
  return {
    method: 'POST',
    path: `${base}${method}`,
    headers: upstreamHeaders(target.provider, req.stream),
    body: JSON.stringify(generateContentBody(req.body)),
  };
}

export function generateContentBody(body: Readonly<JsonObject>): GeminiGenerateContentRequest {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) throw invalid("'messages' must be a non-empty array", 'messages');
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  messages.forEach((message: unknown, i) => {
    if (!isRecord(message)) throw invalid(`messages[${i}] must be an object`, `messages[${i}]`);
    const role = message['role'];
    if (role === 'system' || role === 'developer') {
      system.push(...textParts(message['content'], i));
      return;
    }
    const turn = turnOf(message, i, callNames);
    const last = contents.at(-1);
    // Gemini wants one turn per speaker: consecutive tool results (and user parts) are merged.
    if (last && last.role === turn.role) last.parts.push(...turn.parts);
    else contents.push(turn);
  });
  if (contents.length === 0) throw invalid('the conversation needs at least one user message, not only system messages', 'messages');
  const out: GeminiGenerateContentRequest = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  const tools = toolsOf(body['tools']);
  if (tools) out.tools = tools;
  const toolConfig = toolConfigOf(body['tool_choice']);
  if (toolConfig && tools) out.toolConfig = toolConfig;
  const generationConfig = generationConfigOf(body);
  if (Object.keys(generationConfig).length > 0) out.generationConfig = generationConfig;
  return out;
}

function turnOf(message: JsonObject, i: number, callNames: Map<string, string>): GeminiContent {
  const role = message['role'];
  if (role === 'user') return { role: 'user', parts: contentParts(message['content'], i) };
  if (role === 'assistant') {
    const parts: GeminiPart[] = message['content'] === null || message['content'] === undefined ? [] : textParts(message['content'], i);
    const calls = message['tool_calls'];
    if (Array.isArray(calls)) {
      for (const call of calls) {
        if (!isRecord(call) || !isRecord(call['function'])) continue;
        const fn = call['function'];
        const name = typeof fn['name'] === 'string' ? fn['name'] : '';
        if (typeof call['id'] === 'string') callNames.set(call['id'], name);
        const args = typeof fn['arguments'] === 'string' ? tryParseJson(fn['arguments'] || '{}') : undefined;
        const part: GeminiPart = { functionCall: { name, args: isRecord(args) ? args : {} } };
        const signature = thoughtSignatureOf(call);
        if (signature !== undefined) part.thoughtSignature = signature;
        parts.push(part);
      }
    }
    // Gemini refuses a turn without parts: an empty assistant message is an empty text.
    return { role: 'model', parts: parts.length > 0 ? parts : [{ text: '' }] };
  }
  if (role === 'tool') {
    const id = message['tool_call_id'];
    const name = typeof id === 'string' ? callNames.get(id) : undefined;
    if (name === undefined) {
      throw invalid(`messages[${i}]: tool_call_id '${String(id)}' answers no tool call of an earlier assistant message`, `messages[${i}]`);
    }
    const text = textParts(message['content'], i)
      .map((p) => p.text ?? '')
      .join('');
    const parsed = tryParseJson(text);
    return { role: 'user', parts: [{ functionResponse: { name, response: isRecord(parsed) ? parsed : { result: parsed ?? text } } }] };
  }
  throw invalid(`messages[${i}]: role '${String(role)}' is not supported by the Gemini API`, `messages[${i}].role`);
}

/**
 * The thought signature a previous Gemini answer put on a function call, carried by the gateway in
 * the call's id (response.ts) so that clients which only echo ids still send it back.
 */
export function thoughtSignatureOf(call: JsonObject): string | undefined {
  const id = call['id'];
  if (typeof id !== 'string') return undefined;
  const at = id.indexOf(signatureMarker);
  return at === -1 ? undefined : Buffer.from(id.slice(at + signatureMarker.length), 'base64url').toString('utf8');
}

export const signatureMarker = '__ts_';

function textParts(content: unknown, i: number): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw invalid(`messages[${i}].content must be a string or an array of parts`, `messages[${i}].content`);
  return content.flatMap((part: unknown) => (isRecord(part) && typeof part['text'] === 'string' ? [{ text: part['text'] }] : []));
}

/** User content: text, and images as inline base64 (data URLs) or file URIs. */
function contentParts(content: unknown, i: number): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw invalid(`messages[${i}].content must be a string or an array of parts`, `messages[${i}].content`);
  const parts: GeminiPart[] = [];
  for (const part of content as unknown[]) {
    if (!isRecord(part)) continue;
    if (part['type'] === 'text' && typeof part['text'] === 'string') parts.push({ text: part['text'] });
    else if (part['type'] === 'image_url' && isRecord(part['image_url']) && typeof part['image_url']['url'] === 'string') {
      parts.push(imagePart(part['image_url']['url']));
    } else throw invalid(`messages[${i}]: content part type '${String(part['type'])}' is not supported by the Gemini adapter`);
  }
  return parts.length > 0 ? parts : [{ text: '' }];
}

const dataUrl = /^data:([^;,]+);base64,(.*)$/s;

function imagePart(url: string): GeminiPart {
  const match = dataUrl.exec(url);
  if (match) return { inlineData: { mimeType: match[1]!, data: match[2]! } };
  // Gemini fetches only what it can reach itself (File API, Cloud Storage, some public URLs).
  return { fileData: { fileUri: url } };
}

function toolsOf(tools: unknown): GeminiTool[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  const declarations = tools.flatMap((tool: unknown) => {
    if (!isRecord(tool) || tool['type'] !== 'function' || !isRecord(tool['function'])) return [];
    const fn = tool['function'];
    if (typeof fn['name'] !== 'string') return [];
    return [
      {
        name: fn['name'],
        ...(typeof fn['description'] === 'string' ? { description: fn['description'] } : {}),
        ...(fn['parameters'] !== undefined ? { parametersJsonSchema: fn['parameters'] } : {}),
      },
    ];
  });
  return declarations.length > 0 ? [{ functionDeclarations: declarations }] : undefined;
}

function toolConfigOf(choice: unknown): GeminiToolConfig | undefined {
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (isRecord(choice) && isRecord(choice['function']) && typeof choice['function']['name'] === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice['function']['name']] } };
  }
  return undefined;
}

const numberOf = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function generationConfigOf(body: Readonly<JsonObject>): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const set = <K extends keyof GeminiGenerationConfig>(key: K, value: GeminiGenerationConfig[K] | undefined): void => {
    if (value !== undefined) config[key] = value;
  };
  set('temperature', numberOf(body['temperature']));
  set('topP', numberOf(body['top_p']));
  set('maxOutputTokens', numberOf(body['max_completion_tokens']) ?? numberOf(body['max_tokens']));
  set('candidateCount', numberOf(body['n']));
  set('seed', numberOf(body['seed']));
  set('presencePenalty', numberOf(body['presence_penalty']));
  set('frequencyPenalty', numberOf(body['frequency_penalty']));
  const stop = body['stop'];
  if (typeof stop === 'string') config.stopSequences = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) config.stopSequences = stop as string[];
  if (body['logprobs'] === true) {
    config.responseLogprobs = true;
    set('logprobs', numberOf(body['top_logprobs']));
  }
  const format = body['response_format'];
  if (isRecord(format)) {
    if (format['type'] === 'json_object') config.responseMimeType = 'application/json';
    else if (format['type'] === 'json_schema' && isRecord(format['json_schema'])) {
      config.responseMimeType = 'application/json';
      if (format['json_schema']['schema'] !== undefined) config.responseJsonSchema = format['json_schema']['schema'];
    }
  }
  return config;
}

/** OpenAI embeddings as `embedContent` (one input) or `batchEmbedContents` (a list). */
function buildEmbeddingsRequest(req: ClientRequest, target: UpstreamTarget): UpstreamHttpRequest {
  const input = req.body['input'];
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((s) => typeof s === 'string') ? input : undefined;
  if (texts === undefined || texts.length === 0) {
    throw invalid("'input' must be a string or an array of strings (the Gemini API embeds text, not token ids)", 'input');
  }
  const dimensions = numberOf(req.body['dimensions']);
  const bare = target.model.startsWith('models/') ? target.model.slice('models/'.length) : target.model;
  const one = (text: string): GeminiEmbedContentRequest => ({
    model: `models/${bare}`,
    content: { parts: [{ text }] },
    ...(dimensions !== undefined ? { outputDimensionality: dimensions } : {}),
  });
  const batch = Array.isArray(input);
  return {
    method: 'POST',
    path: `${modelPath(target.model)}${batch ? ':batchEmbedContents' : ':embedContent'}`,
    headers: upstreamHeaders(target.provider, false),
    body: JSON.stringify(batch ? { requests: texts.map(one) } : one(texts[0]!)),
  };
}
