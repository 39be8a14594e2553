/**
 * The answer on the wire: non-stream JSON bodies (chat, legacy completions, models) and the SSE
 * events of a stream, each in the kind's flavour (see flavor.ts). Both are built from the same answer
 * plan, so a streamed and a non-stream answer to one request carry the same text.
 *
 * A stream's envelope (id, object, created, model and the kind's extras) is the same in every chunk,
 * so it is serialised once per stream and each chunk is that prefix plus one choice: the benchmark
 * pushes thousands of streams through here, and building and stringifying an object per token would
 * dominate the simulator's own cost.
 */
import type { ChoicePlan } from './answer.js';
import type { SimFlavor } from './flavor.js';
import type { CompletionOperation } from './request.js';

export interface BodyEnvelope {
  id: string;
  created: number;
  model: string;
}

function chatMessage(flavor: SimFlavor, choice: ChoicePlan): Record<string, unknown> {
  const call = choice.toolCall;
  const message: Record<string, unknown> = { role: 'assistant', content: call ? null : choice.pieces.join(''), ...flavor.messageExtras };
  if (call) message['tool_calls'] = [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }];
  else if (flavor.emptyToolCalls) message['tool_calls'] = [];
  return message;
}

export function chatBody(
  flavor: SimFlavor,
  envelope: BodyEnvelope,
  choices: readonly ChoicePlan[],
  usage: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: envelope.id,
    object: 'chat.completion',
    created: envelope.created,
    model: envelope.model,
    choices: choices.map((choice) => ({
      index: choice.index,
      message: chatMessage(flavor, choice),
      logprobs: null,
      finish_reason: choice.finish,
      ...(flavor.stopReason ? { stop_reason: choice.stopMatched } : {}),
    })),
    usage,
    ...flavor.bodyEnvelope,
  };
}

export function completionBody(
  flavor: SimFlavor,
  envelope: BodyEnvelope,
  choices: readonly ChoicePlan[],
  usage: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: envelope.id,
    object: 'text_completion',
    created: envelope.created,
    model: envelope.model,
    choices: choices.map((choice) => ({
      index: choice.index,
      text: choice.pieces.join(''),
      logprobs: null,
      finish_reason: choice.finish,
      ...(flavor.stopReason ? { stop_reason: choice.stopMatched } : {}),
    })),
    usage,
    ...flavor.bodyEnvelope,
  };
}

export function modelsBody(flavor: SimFlavor, model: string, created: number, maxModelLen: number): Record<string, unknown> {
  return { object: 'list', data: [flavor.modelCard(model, created, maxModelLen)] };
}

// Streams: one SSE event per chunk, written as text.

const CLOSE = ']}\n\n';

/** `{"a":1,"b":null}` as `,"a":1,"b":null`, to splice into an object literal. */
function members(fields: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const key of Object.keys(fields)) out += `,${JSON.stringify(key)}:${JSON.stringify(fields[key])}`;
  return out;
}

export const DONE_EVENT = 'data: [DONE]\n\n';
export const KEEPALIVE_COMMENT = ': keep-alive\n\n';
/** What a broken upstream might send: a data line that is not JSON. */
export const MALFORMED_EVENT = 'data: {"choices": [oops\n\n';

export function dataEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export class ChunkFormatter {
  /** `data: {"id":…,"choices":[` — everything before the choice. */
  private readonly head: string;
  private readonly chat: boolean;
  private readonly roleExtras: string;
  private readonly stopReason: boolean;

  constructor(flavor: SimFlavor, operation: CompletionOperation, id: string, created: number, model: string) {
    this.chat = operation === 'chat';
    const object = this.chat ? 'chat.completion.chunk' : 'text_completion';
    this.head = `data: {"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)}${members(flavor.chunkEnvelope)},"choices":[`;
    this.roleExtras = members(flavor.roleDelta);
    this.stopReason = flavor.stopReason;
  }

  /** Chat only: the first delta of a choice, carrying the role (content null when it calls a tool). */
  role(choice: ChoicePlan): string {
    if (!this.chat) return '';
    const content = choice.toolCall ? 'null' : '""';
    return `${this.head}{"index":${choice.index},"delta":{"role":"assistant","content":${content}${this.roleExtras}},"logprobs":null,"finish_reason":null}${CLOSE}`;
  }

  /** The chunk for piece `step` of a choice: text, a tool call's opening, or an arguments fragment. */
  piece(choice: ChoicePlan, step: number): string {
    const piece = choice.pieces[step]!;
    if (!this.chat) {
      return `${this.head}{"index":${choice.index},"text":${JSON.stringify(piece)},"logprobs":null,"finish_reason":null}${CLOSE}`;
    }
    const call = choice.toolCall;
    let delta: string;
    if (call === undefined) delta = `{"content":${JSON.stringify(piece)}}`;
    else if (step === 0)
      delta = `{"tool_calls":[{"index":0,"id":${JSON.stringify(call.id)},"type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}]}`;
    else delta = `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(piece)}}}]}`;
    return `${this.head}{"index":${choice.index},"delta":${delta},"logprobs":null,"finish_reason":null}${CLOSE}`;
  }

  /** The choice's last chunk: an empty delta (or text) with its finish reason. */
  finish(choice: ChoicePlan): string {
    const stopReason = this.stopReason ? `,"stop_reason":${JSON.stringify(choice.stopMatched)}` : '';
    const body = this.chat ? '"delta":{}' : '"text":""';
    return `${this.head}{"index":${choice.index},${body},"logprobs":null,"finish_reason":"${choice.finish}"${stopReason}}${CLOSE}`;
  }

  /** The `stream_options.include_usage` chunk: no choices, the whole answer's usage. */
  usage(usage: Readonly<Record<string, unknown>>): string {
    return `${this.head}],"usage":${JSON.stringify(usage)}}\n\n`;
  }
}
