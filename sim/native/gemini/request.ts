/**
 * A `generateContent` body read into the shared CompletionRequest, so the answer comes from the same
 * plan as the OpenAI kinds (sim/answer.ts). The prompt is hashed as the OpenAI kinds hash the same
 * conversation (system, user and assistant turns, text by text), so a plain-text conversation gets
 * the same answer from every kind: a stream broken on one can be finished on another. What the real
 * API refuses with a 400 is refused here with its wording: unknown fields, no contents, a role other
 * than user or model, a content without parts, a bad generationConfig value.
 */
import { HASH_SEED, hashNumber, hashString } from '../../random.js';
import { isRecord, type CompletionRequest, type Rejection } from '../../request.js';
import { pickTool } from '../../tools.js';

type Body = Record<string, unknown>;

const topLevelFields = new Set([
  'contents',
  'systemInstruction',
  'system_instruction',
  'tools',
  'toolConfig',
  'tool_config',
  'safetySettings',
  'safety_settings',
  'generationConfig',
  'generation_config',
  'cachedContent',
  'cached_content',
  'labels',
  'model',
]);

const generationFields = new Set([
  'temperature',
  'topP',
  'topK',
  'candidateCount',
  'maxOutputTokens',
  'stopSequences',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseLogprobs',
  'logprobs',
  'responseModalities',
  'thinkingConfig',
  'mediaResolution',
  'speechConfig',
  'enableEnhancedCivicAnswers',
]);

const reject = (message: string): Rejection => ({ status: 400, message, param: null });

const unknownName = (name: string, where: string): Rejection =>
  reject(`Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`);

/** The OpenAI role a Gemini turn plays, for hashing and for the tool decision. */
function openAIRole(role: unknown, parts: readonly unknown[]): string {
  if (role === 'model') return 'assistant';
  return parts.length > 0 && parts.every((p) => isRecord(p) && p['functionResponse'] !== undefined) ? 'tool' : 'user';
}

class Digest {
  hash = HASH_SEED;
  chars = 0;

  /** One turn: its role, then each text part (other parts only hash), as the OpenAI kinds fold messages. */
  turn(role: string, parts: readonly unknown[]): string {
    this.hash = hashString(role, this.hash);
    let text = '';
    for (const part of parts) {
      if (isRecord(part) && typeof part['text'] === 'string') {
        this.hash = hashString(part['text'], this.hash);
        this.chars += part['text'].length;
        text += part['text'];
      } else this.hash = hashString(JSON.stringify(part), this.hash);
    }
    return text;
  }
}

function readContents(contents: unknown, digest: Digest): { role: string; text: string } | Rejection {
  if (!Array.isArray(contents) || contents.length === 0) return reject('* GenerateContentRequest.contents: contents is not specified\n');
  let last = { role: '', text: '' };
  for (let i = 0; i < contents.length; i++) {
    const content: unknown = contents[i];
    if (!isRecord(content))
      return reject(`Invalid value at 'contents[${i}]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content)`);
    const role = content['role'] ?? 'user';
    if (role !== 'user' && role !== 'model') return reject('Please use a valid role: user, model.');
    const parts = content['parts'];
    if (!Array.isArray(parts) || parts.length === 0) {
      return reject(`* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`);
    }
    const mapped = openAIRole(role, parts);
    last = { role: mapped, text: digest.turn(mapped, parts) };
  }
  return last;
}

/** Gemini's declarations and tool config as the OpenAI tools and tool_choice pickTool reads. */
function openAITools(body: Body): { tools: unknown[]; choice: unknown } {
  const tools: unknown[] = [];
  if (Array.isArray(body['tools'])) {
    for (const tool of body['tools']) {
      if (!isRecord(tool) || !Array.isArray(tool['functionDeclarations'])) continue;
      for (const fn of tool['functionDeclarations']) {
        if (!isRecord(fn)) continue;
        tools.push({ type: 'function', function: { name: fn['name'], parameters: fn['parametersJsonSchema'] ?? fn['parameters'] } });
      }
    }
  }
  const config = isRecord(body['toolConfig']) ? body['toolConfig']['functionCallingConfig'] : undefined;
  if (!isRecord(config)) return { tools, choice: undefined };
  const allowed = config['allowedFunctionNames'];
  switch (config['mode']) {
    case 'NONE':
      return { tools, choice: 'none' };
    case 'ANY':
    case 'VALIDATED':
      return Array.isArray(allowed) && typeof allowed[0] === 'string'
        ? { tools, choice: { type: 'function', function: { name: allowed[0] } } }
        : { tools, choice: 'required' };
    default:
      return { tools, choice: 'auto' };
  }
}

function readGenerationConfig(
  value: unknown,
): { n: number; maxTokens: number | undefined; stop: string[]; seed: number | undefined } | Rejection {
  const config = value ?? {};
  if (!isRecord(config))
    return reject("Invalid value at 'generation_config' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig)");
  for (const key of Object.keys(config)) if (!generationFields.has(key)) return unknownName(key, " at 'generation_config'");
  const count = config['candidateCount'];
  if (count !== undefined && (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 8)) {
    return reject('* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8\n');
  }
  const max = config['maxOutputTokens'];
  if (max !== undefined && (!Number.isInteger(max) || (max as number) < 1)) {
    return reject('* GenerateContentRequest.generation_config.max_output_tokens: max_output_tokens must be positive.\n');
  }
  const stop = config['stopSequences'];
  if (stop !== undefined && (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string') || stop.length > 5)) {
    return reject('* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences, each a string\n');
  }
  return {
    n: typeof count === 'number' ? count : 1,
    maxTokens: typeof max === 'number' ? max : undefined,
    stop: Array.isArray(stop) ? (stop as string[]).filter((s) => s !== '') : [],
    seed: Number.isInteger(config['seed']) ? (config['seed'] as number) : undefined,
  };
}

export function parseGenerateContent(model: string, body: unknown, stream: boolean): CompletionRequest | Rejection {
  if (!isRecord(body)) return reject('Invalid JSON payload received. Expected an object.');
  for (const key of Object.keys(body)) if (!topLevelFields.has(key)) return unknownName(key, '');
  const digest = new Digest();
  const system = body['systemInstruction'] ?? body['system_instruction'];
  if (isRecord(system) && Array.isArray(system['parts'])) digest.turn('system', system['parts']);
  const last = readContents(body['contents'], digest);
  if ('status' in last) return last;
  const config = readGenerationConfig(body['generationConfig'] ?? body['generation_config']);
  if ('status' in config) return config;
  if (config.seed !== undefined) digest.hash = hashNumber(config.seed, digest.hash);
  const { tools, choice } = openAITools(body);
  return {
    operation: 'chat',
    model,
    stream,
    includeUsage: true,
    n: config.n,
    maxTokens: config.maxTokens,
    stop: config.stop,
    promptTokens: Math.max(1, Math.ceil(digest.chars / 4)),
    promptHash: digest.hash,
    tool: pickTool(tools, choice, last),
    prefill: undefined,
  };
}
