/**
 * A 2xx non-stream body into the strict OpenAI shape. OpenAI-compatible servers answer almost in
 * OpenAI's format; what differs is repaired here: required keys they omit (`message.refusal`,
 * `logprobs`, `object`), nulls the spec does not allow (`usage: null`, `tool_calls: null`,
 * `system_fingerprint: null`), `reasoning` for `reasoning_content`, odd finish reasons, and
 * embeddings in the encoding the client asked for. `choices: null`, `finish_reason: "abort"`, an
 * error envelope under 200 and a body that is not JSON are upstream failures (kind `server`). When
 * nothing needed repair, the upstream's text is returned as is.
 */
import { randomUUID } from 'node:crypto';
import type { ClientRequest, TranslatedResponse, UpstreamTarget } from '../types.js';
import { UpstreamError, upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { base64ToFloats, floatsToBase64, isFloatArray } from '../shared/float32-base64.js';
import { classifyErrorPayload } from './errors.js';
import {
  abortReason,
  chatFinishReasons,
  completeToolCall,
  completionFinishReasons,
  dropNulls,
  mapFinishReason,
  normalizeUsage,
  renameReasoning,
  usageOf,
} from './normalize.js';

type Repair = (doc: JsonObject, req: ClientRequest) => boolean;

export function translateResponse(req: ClientRequest, body: Buffer, target: UpstreamTarget): TranslatedResponse {
  const text = body.toString('utf8');
  const doc = tryParseJson(text);
  if (!isRecord(doc)) {
    throw failure(
      doc === undefined ? 'upstream answered 2xx with a body that is not JSON' : 'upstream answered 2xx with JSON that is not an object',
    );
  }
  if (doc['error'] !== undefined && doc['error'] !== null && doc['choices'] === undefined && doc['data'] === undefined) {
    throw new UpstreamError(classifyErrorPayload(doc));
  }
  // Read before the repairs, which may fill in a usage the upstream never reported.
  const usage = usageOf(doc['usage']);
  const repair: Repair = req.operation === 'chat' ? repairChat : req.operation === 'completions' ? repairCompletion : repairEmbeddings;
  let changed = repair(doc, req);
  changed = repairEnvelope(doc, target) || changed;
  const out: TranslatedResponse = { body: changed ? JSON.stringify(doc) : text };
  if (typeof doc['model'] === 'string') out.model = doc['model'];
  if (usage) out.usage = usage;
  return out;
}

function failure(message: string): UpstreamError {
  return new UpstreamError(upstreamErrorOf('server', message, { code: null, param: null }));
}

/** Top-level keys every OpenAI response has. `model` stays what the upstream reports. */
function repairEnvelope(doc: JsonObject, target: UpstreamTarget): boolean {
  let changed = dropNulls(doc, ['system_fingerprint']);
  if (typeof doc['model'] !== 'string') {
    doc['model'] = target.model;
    changed = true;
  }
  if (doc['usage'] === null) {
    delete doc['usage'];
    changed = true;
  } else if (isRecord(doc['usage'])) {
    changed = normalizeUsage(doc['usage']) || changed;
  }
  return changed;
}

function setIfNot(doc: JsonObject, key: string, ok: (v: unknown) => boolean, value: () => unknown): boolean {
  if (ok(doc[key])) return false;
  doc[key] = value();
  return true;
}

const isString = (v: unknown): boolean => typeof v === 'string';
const isInteger = (v: unknown): boolean => Number.isInteger(v);

/** `id` and `created` are required; a server that omits them gets fresh ones. */
function repairIdentity(doc: JsonObject, object: string, idPrefix: string): boolean {
  let changed = setIfNot(
    doc,
    'object',
    (v) => v === object,
    () => object,
  );
  changed = setIfNot(doc, 'id', isString, () => `${idPrefix}${randomUUID().replaceAll('-', '')}`) || changed;
  changed = setIfNot(doc, 'created', isInteger, () => Math.floor(Date.now() / 1000)) || changed;
  return changed;
}

function choicesOf(doc: JsonObject): JsonObject[] {
  const choices = doc['choices'];
  if (!Array.isArray(choices))
    throw failure(`upstream answered without a choices array (choices: ${choices === null ? 'null' : typeof choices})`);
  for (const choice of choices) if (!isRecord(choice)) throw failure('upstream answered with a choice that is not an object');
  return choices as JsonObject[];
}

/** finish_reason is required outside streams: a missing one reads as `stop`; `abort` is a failure. */
function repairChoiceCommon(choice: JsonObject, position: number, allowed: ReadonlySet<string>): boolean {
  let changed = setIfNot(choice, 'index', isInteger, () => position);
  changed =
    setIfNot(
      choice,
      'logprobs',
      (v) => v !== undefined,
      () => null,
    ) || changed;
  const reason = mapFinishReason(choice['finish_reason'], allowed);
  if (reason === abortReason) throw failure('upstream aborted the generation (finish_reason "abort")');
  if (reason !== choice['finish_reason'] || reason === null) {
    choice['finish_reason'] = reason ?? 'stop';
    changed = true;
  }
  return changed;
}

function repairChat(doc: JsonObject): boolean {
  let changed = repairIdentity(doc, 'chat.completion', 'chatcmpl-');
  choicesOf(doc).forEach((choice, position) => {
    changed = repairChoiceCommon(choice, position, chatFinishReasons) || changed;
    let message = choice['message'];
    if (!isRecord(message)) {
      message = {};
      choice['message'] = message;
      changed = true;
    }
    changed = repairMessage(message as JsonObject) || changed;
  });
  return changed;
}

function repairMessage(message: JsonObject): boolean {
  let changed = setIfNot(
    message,
    'role',
    (v) => v === 'assistant',
    () => 'assistant',
  );
  changed =
    setIfNot(
      message,
      'content',
      (v) => v !== undefined,
      () => null,
    ) || changed;
  changed =
    setIfNot(
      message,
      'refusal',
      (v) => v !== undefined,
      () => null,
    ) || changed;
  changed = dropNulls(message, ['tool_calls', 'function_call', 'annotations']) || changed;
  changed = renameReasoning(message) || changed;
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) {
    for (const call of calls) if (isRecord(call)) changed = completeToolCall(call) || changed;
  }
  return changed;
}

function repairCompletion(doc: JsonObject): boolean {
  let changed = repairIdentity(doc, 'text_completion', 'cmpl-');
  choicesOf(doc).forEach((choice, position) => {
    changed = repairChoiceCommon(choice, position, completionFinishReasons) || changed;
    changed = setIfNot(choice, 'text', isString, () => '') || changed;
  });
  return changed;
}

/**
 * Embeddings come back in the encoding the client asked for, whatever the upstream sent: floats are
 * encoded for a client that asked base64 (openai-node always does unless told otherwise), base64 is
 * decoded for a client that asked floats or did not say (OpenAI's default is float).
 */
function repairEmbeddings(doc: JsonObject, req: ClientRequest): boolean {
  const wantBase64 = req.body['encoding_format'] === 'base64';
  let changed = setIfNot(
    doc,
    'object',
    (v) => v === 'list',
    () => 'list',
  );
  const data = doc['data'];
  if (!Array.isArray(data)) throw failure('upstream answered embeddings without a data array');
  data.forEach((item: unknown, position) => {
    if (!isRecord(item)) throw failure('upstream answered with an embedding that is not an object');
    changed =
      setIfNot(
        item,
        'object',
        (v) => v === 'embedding',
        () => 'embedding',
      ) || changed;
    changed = setIfNot(item, 'index', isInteger, () => position) || changed;
    const vector = item['embedding'];
    if (wantBase64 && Array.isArray(vector)) {
      if (!isFloatArray(vector)) throw failure('upstream answered an embedding with non-numeric values');
      item['embedding'] = floatsToBase64(vector);
      changed = true;
    } else if (!wantBase64 && typeof vector === 'string') {
      const floats = base64ToFloats(vector);
      if (!floats) throw failure('upstream answered a base64 embedding whose length is not a whole number of float32s');
      item['embedding'] = floats;
      changed = true;
    } else if (typeof vector !== 'string' && !Array.isArray(vector)) {
      throw failure('upstream answered an embedding without a vector');
    }
  });
  // `usage` is required by the spec; a server that sends none reports zero rather than breaking clients.
  if (!isRecord(doc['usage'])) {
    doc['usage'] = { prompt_tokens: 0, total_tokens: 0 };
    changed = true;
  }
  return changed;
}
