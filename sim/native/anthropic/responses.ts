/**
 * Anthropic's side of the wire as the simulator writes it: error bodies (`{"type":"error","error":
 * {"type","message"},"request_id"}` with the type Anthropic pairs with each status, 529 included),
 * the `Message` body, the named SSE events of a stream (`event:` equal to the JSON `type`), and the
 * model listing. Built from the shared answer plan, so a streamed and a non-stream answer carry the
 * same text, and the same text as the OpenAI kinds give the same conversation.
 */
import type { ChoicePlan } from '../../answer.js';

/** Status -> Anthropic's error type and the message it uses when it has a standard one. */
const errorTypes: Readonly<Record<number, { type: string; message: string }>> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: { type: 'billing_error', message: 'Your credit balance is too low to access the Anthropic API.' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'Not Found' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization. Please try again later.' },
  500: { type: 'api_error', message: 'Internal server error' },
  504: { type: 'timeout_error', message: 'Request timed out' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

export function errorBody(status: number, requestId: string, message?: string, type?: string): AnthropicErrorBody {
  const known = errorTypes[status] ?? {
    type: status >= 500 ? 'api_error' : 'invalid_request_error',
    message: `Request failed with status ${status}.`,
  };
  return { type: 'error', error: { type: type ?? known.type, message: message ?? known.message }, request_id: requestId };
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

export function stopReasonOf(choice: ChoicePlan): StopReason {
  if (choice.toolCall) return 'tool_use';
  if (choice.finish === 'length') return 'max_tokens';
  return choice.stopMatched !== null ? 'stop_sequence' : 'end_turn';
}

/** Anthropic's tool-use ids are `toolu_…`; the shared plan makes `call_…` ones. */
export const toolUseIdOf = (planId: string): string => `toolu_${planId.replace(/^call_/, '')}`;

export interface UsageCounts {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

export interface MessageEnvelope {
  id: string;
  model: string;
}

export function messageBody(envelope: MessageEnvelope, choice: ChoicePlan, usage: UsageCounts): Record<string, unknown> {
  const call = choice.toolCall;
  const content = call
    ? [{ type: 'tool_use', id: toolUseIdOf(call.id), name: call.name, input: JSON.parse(call.arguments) as unknown }]
    : [{ type: 'text', text: choice.pieces.join('') }];
  return {
    id: envelope.id,
    type: 'message',
    role: 'assistant',
    model: envelope.model,
    content,
    stop_reason: stopReasonOf(choice),
    stop_sequence: choice.toolCall ? null : choice.stopMatched,
    usage: { ...usage, service_tier: 'standard' },
  };
}

export function sseEvent(payload: { type: string } & Record<string, unknown>): string {
  return `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export const PING_EVENT = sseEvent({ type: 'ping' });
/** What a broken upstream might send: an event whose data is not JSON. */
export const MALFORMED_EVENT = 'event: content_block_delta\ndata: {"type": "content_block_delta", oops\n\n';

/** The stream's events, one method per moment of it. */
export class EventFormatter {
  constructor(
    private readonly envelope: MessageEnvelope,
    private readonly choice: ChoicePlan,
  ) {}

  /** `message_start` (empty content, the input side of usage), then the content block's start. */
  start(usage: UsageCounts): string {
    const message = { ...this.envelope, type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, usage };
    const call = this.choice.toolCall;
    const block = call ? { type: 'tool_use', id: toolUseIdOf(call.id), name: call.name, input: {} } : { type: 'text', text: '' };
    return (
      sseEvent({ type: 'message_start', message }) + PING_EVENT + sseEvent({ type: 'content_block_start', index: 0, content_block: block })
    );
  }

  /** Piece `step`: a text delta, or an `input_json_delta` fragment (the opening piece is an empty one). */
  piece(step: number): string {
    const piece = this.choice.pieces[step]!;
    const delta = this.choice.toolCall ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece };
    return sseEvent({ type: 'content_block_delta', index: 0, delta });
  }

  /** The block's stop and `message_delta` with the stop reason and the cumulative output count. */
  finish(outputTokens: number): string {
    const stop = { stop_reason: stopReasonOf(this.choice), stop_sequence: this.choice.toolCall ? null : this.choice.stopMatched };
    return (
      sseEvent({ type: 'content_block_stop', index: 0 }) +
      sseEvent({ type: 'message_delta', delta: stop, usage: { output_tokens: outputTokens } })
    );
  }

  /** The stream's end: there is no `[DONE]`. */
  stop(): string {
    return sseEvent({ type: 'message_stop' });
  }
}

export function modelInfo(model: string, startedAt: number): Record<string, unknown> {
  return { type: 'model', id: model, display_name: model, created_at: new Date(startedAt * 1000).toISOString() };
}

export function modelList(model: string, startedAt: number): Record<string, unknown> {
  return { data: [modelInfo(model, startedAt)], has_more: false, first_id: model, last_id: model };
}
