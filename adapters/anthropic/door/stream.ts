/**
 * The core's answer stream as Anthropic's Server-Sent Events. A native answer (an Anthropic deployment
 * spoke the Messages API) arrives as Anthropic's own events and is framed as it came. A translated one
 * arrives as OpenAI chunks, and Anthropic's stream is built from them; how it differs from OpenAI's:
 * every event is named (`event:` equals the JSON `type`); `message_start` opens with the message
 * envelope (input usage 0 until known); content comes in numbered blocks, each opened
 * (`content_block_start`), fed (`text_delta`, or a tool's `input_json_delta` fragments of its
 * arguments) and closed (`content_block_stop`), one at a time; the stop reason and usage come in
 * `message_delta` (OpenAI: the finish chunk, then the usage chunk with `choices: []`); the end is
 * `message_stop`, not `[DONE]`. Because usage comes last, `message_delta` is written when the core's
 * stream is done, with everything the chunks said.
 */
import type { DoorError, DoorRequest, DoorStreamEncoder } from '../../front-door.js';
import { isRecord, tryParseJson, type JsonObject } from '../../shared/json.js';
import { errorEvent } from './errors.js';
import { anthropicUsageOf, messageIdOf, stopOf, stopSequencesOf } from './response.js';

type OpenBlock = { kind: 'text'; index: number } | { kind: 'tool'; index: number };

const frame = (payload: { type: string } & JsonObject): string => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;

export class AnthropicStreamEncoder implements DoorStreamEncoder {
  private started = false;
  private finished = false;
  private open: OpenBlock | undefined;
  private nextIndex = 0;
  /** OpenAI's tool-call index -> the Anthropic block that carries it. */
  private readonly toolBlocks = new Map<number, number>();
  private finishReason: unknown;
  private matchedStop: unknown;
  private usage: unknown;

  constructor(private readonly req: DoorRequest) {}

  chunk(data: string, event: string | undefined, native: boolean): string {
    if (native) return `${event === undefined ? '' : `event: ${event}\n`}data: ${data}\n\n`;
    const chunk = tryParseJson(data);
    if (!isRecord(chunk) || this.finished) return '';
    if (isRecord(chunk['usage'])) this.usage = chunk['usage'];
    const choices = chunk['choices'];
    const choice = Array.isArray(choices) && isRecord(choices[0]) ? choices[0] : undefined;
    if (choice === undefined) return '';
    let out = this.start(chunk);
    const delta = isRecord(choice['delta']) ? choice['delta'] : {};
    for (const key of ['content', 'refusal'] as const) {
      const text = delta[key];
      if (typeof text === 'string' && text !== '') out += this.text(text);
    }
    const calls = delta['tool_calls'];
    if (Array.isArray(calls)) for (const call of calls) if (isRecord(call)) out += this.toolCall(call);
    if (choice['finish_reason'] !== undefined && choice['finish_reason'] !== null) this.finishReason = choice['finish_reason'];
    if (typeof choice['stop_reason'] === 'string') this.matchedStop = choice['stop_reason'];
    return out;
  }

  done(native: boolean): string {
    if (native || this.finished) return '';
    let out = this.start(undefined) + this.closeOpen();
    const usage = anthropicUsageOf(this.usage);
    const stop = stopOf(this.finishReason, this.matchedStop, stopSequencesOf(this.req));
    out += frame({ type: 'message_delta', delta: stop, usage });
    out += frame({ type: 'message_stop' });
    this.finished = true;
    return out;
  }

  fail(error: DoorError): string {
    this.finished = true;
    return errorEvent(error);
  }

  /** `message_start`, once, from the first chunk's id and model. */
  private start(chunk: JsonObject | undefined): string {
    if (this.started) return '';
    this.started = true;
    const model = typeof chunk?.['model'] === 'string' ? chunk['model'] : this.req.model;
    const usage = this.usage === undefined ? { input_tokens: 0, output_tokens: 0 } : { ...anthropicUsageOf(this.usage), output_tokens: 0 };
    const message = {
      id: messageIdOf(chunk?.['id']),
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    };
    return frame({ type: 'message_start', message });
  }

  private closeOpen(): string {
    if (this.open === undefined) return '';
    const index = this.open.index;
    this.open = undefined;
    return frame({ type: 'content_block_stop', index });
  }

  private text(text: string): string {
    let out = '';
    if (this.open?.kind !== 'text') {
      out += this.closeOpen();
      this.open = { kind: 'text', index: this.nextIndex++ };
      out += frame({ type: 'content_block_start', index: this.open.index, content_block: { type: 'text', text: '' } });
    }
    return out + frame({ type: 'content_block_delta', index: this.open.index, delta: { type: 'text_delta', text } });
  }

  /** A tool call's first chunk opens its block (id, name); argument fragments follow as `input_json_delta`. */
  private toolCall(call: JsonObject): string {
    const toolIndex = typeof call['index'] === 'number' ? call['index'] : 0;
    const fn = isRecord(call['function']) ? call['function'] : {};
    let out = '';
    let index = this.toolBlocks.get(toolIndex);
    if (index === undefined) {
      out += this.closeOpen();
      index = this.nextIndex++;
      this.toolBlocks.set(toolIndex, index);
      this.open = { kind: 'tool', index };
      const id = typeof call['id'] === 'string' && call['id'] !== '' ? call['id'] : `toolu_${index}`;
      const name = typeof fn['name'] === 'string' ? fn['name'] : '';
      out += frame({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } });
    }
    const args = fn['arguments'];
    // A fragment for a block already closed (OpenAI servers interleave rarely) still names its own index.
    if (typeof args === 'string' && args !== '') {
      out += frame({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: args } });
    }
    return out;
  }
}
