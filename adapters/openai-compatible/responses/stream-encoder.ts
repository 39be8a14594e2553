/**
 * The core's Chat Completions stream as Responses API events (the door's stream encoder). Chat
 * chunks carry deltas of one message; the Responses stream names every step: the response is
 * created and in progress, an output item is added, a content part is added, text deltas follow,
 * then the text, the part and the item are done, and the response is completed (or incomplete) with
 * the whole Response object, usage included. Tool-call deltas become `function_call` items with
 * argument deltas. Every event carries a `sequence_number` from 0. A request the deployment answered
 * natively is framed as it came (`event:` + `data:`).
 */
import type { DoorError, DoorRequest, DoorStreamEncoder } from '../../front-door.js';
import { isRecord, tryParseJson, type JsonObject } from '../../shared/json.js';
import { newId, nowSeconds, responseObject, responsesUsage, statusOf } from './envelope.js';
import { errorEvent } from './errors.js';
import type { FunctionCallItem, IncompleteReason, ItemStatus, OutputItem, OutputMessageItem, ResponsesUsage } from './wire.js';

type PartKind = 'output_text' | 'refusal';

interface OpenMessage {
  readonly item: OutputMessageItem;
  readonly outputIndex: number;
  part: { kind: PartKind; text: string } | undefined;
}

interface OpenCall {
  readonly item: FunctionCallItem;
  readonly outputIndex: number;
}

export function frame(type: string, data: string): string {
  return `event: ${type}\ndata: ${data}\n\n`;
}

export class ResponsesStreamEncoder implements DoorStreamEncoder {
  private sequence = 0;
  private started = false;
  private readonly id = newId('resp');
  private createdAt = nowSeconds();
  private model: string;
  private readonly output: OutputItem[] = [];
  private message: OpenMessage | undefined;
  private readonly calls = new Map<number, OpenCall>();
  private status: 'completed' | 'incomplete' = 'completed';
  private reason: IncompleteReason | undefined;
  private usage: ResponsesUsage | undefined;

  constructor(private readonly req: DoorRequest) {
    this.model = req.model;
  }

  chunk(data: string, event: string | undefined, native: boolean): string {
    if (native) return event === undefined ? `data: ${data}\n\n` : frame(event, data);
    const chunk = tryParseJson(data);
    if (!isRecord(chunk)) return '';
    let out = this.start(chunk);
    const usage = responsesUsage(chunk['usage']);
    if (usage) this.usage = usage;
    const choices = Array.isArray(chunk['choices']) ? (chunk['choices'] as unknown[]) : [];
    for (const choice of choices) {
      if (!isRecord(choice) || (choice['index'] ?? 0) !== 0) continue;
      const delta = isRecord(choice['delta']) ? choice['delta'] : {};
      out += this.onDelta(delta);
      const finish = choice['finish_reason'];
      if (finish !== null && finish !== undefined) {
        ({ status: this.status, reason: this.reason } = statusOf(finish));
        out += this.closeAll();
      }
    }
    return out;
  }

  done(native: boolean): string {
    if (native) return '';
    let out = this.start(undefined) + this.closeAll();
    const type = this.status === 'completed' ? 'response.completed' : 'response.incomplete';
    out += this.event(type, { response: this.response(this.status) });
    return out;
  }

  fail(error: DoorError): string {
    return frame('error', JSON.stringify(errorEvent(error, this.sequence++)));
  }

  private event(type: string, fields: JsonObject): string {
    return frame(type, JSON.stringify({ type, ...fields, sequence_number: this.sequence++ }));
  }

  private response(status: 'in_progress' | 'completed' | 'incomplete'): unknown {
    return responseObject(this.req, {
      id: this.id,
      createdAt: this.createdAt,
      model: this.model,
      status,
      reason: this.reason,
      output: status === 'in_progress' ? [] : this.output,
      usage: status === 'in_progress' ? undefined : this.usage,
    });
  }

  /** response.created and response.in_progress, once, with the stream's model and time. */
  private start(chunk: JsonObject | undefined): string {
    if (this.started) return '';
    this.started = true;
    if (chunk !== undefined) {
      if (typeof chunk['model'] === 'string' && chunk['model'] !== '') this.model = chunk['model'];
      const created = chunk['created'];
      if (typeof created === 'number' && Number.isInteger(created) && created > 0) this.createdAt = created;
    }
    // The same Response object in both events: serialised once.
    const response = JSON.stringify(this.response('in_progress'));
    const opening = (type: string) => frame(type, `{"type":"${type}","response":${response},"sequence_number":${this.sequence++}}`);
    return opening('response.created') + opening('response.in_progress');
  }

  private onDelta(delta: JsonObject): string {
    let out = '';
    const content = delta['content'];
    if (typeof content === 'string' && content !== '') out += this.text('output_text', content);
    const refusal = delta['refusal'];
    if (typeof refusal === 'string' && refusal !== '') out += this.text('refusal', refusal);
    const calls = delta['tool_calls'];
    if (Array.isArray(calls)) for (const call of calls) if (isRecord(call)) out += this.toolCall(call);
    return out;
  }

  private text(kind: PartKind, delta: string): string {
    let out = '';
    if (this.message === undefined) {
      out += this.closeCalls('completed');
      const item: OutputMessageItem = { type: 'message', id: newId('msg'), status: 'in_progress', role: 'assistant', content: [] };
      this.message = { item, outputIndex: this.output.length, part: undefined };
      this.output.push(item);
      out += this.event('response.output_item.added', { output_index: this.message.outputIndex, item: { ...item, content: [] } });
    }
    const message = this.message;
    if (message.part !== undefined && message.part.kind !== kind) out += this.closePart(message);
    if (message.part === undefined) {
      message.part = { kind, text: '' };
      out += this.event('response.content_part.added', { ...this.where(message), part: this.partOf(kind, '') });
    }
    message.part.text += delta;
    return out + this.delta(kind, message, delta);
  }

  /**
   * One text delta, the event of every token: written out directly, as the generic event() would
   * serialise it (same members, same order), without an object to spread and stringify per token.
   */
  private delta(kind: PartKind, message: OpenMessage, delta: string): string {
    const type = kind === 'output_text' ? 'response.output_text.delta' : 'response.refusal.delta';
    const where = `"item_id":${JSON.stringify(message.item.id)},"output_index":${message.outputIndex},"content_index":${message.item.content.length}`;
    const logprobs = kind === 'output_text' ? ',"logprobs":[]' : '';
    return frame(type, `{"type":"${type}",${where},"delta":${JSON.stringify(delta)}${logprobs},"sequence_number":${this.sequence++}}`);
  }

  private where(message: OpenMessage): JsonObject {
    return { item_id: message.item.id, output_index: message.outputIndex, content_index: message.item.content.length };
  }

  private partOf(kind: PartKind, text: string): OutputMessageItem['content'][number] {
    return kind === 'output_text' ? { type: 'output_text', text, annotations: [], logprobs: [] } : { type: 'refusal', refusal: text };
  }

  private closePart(message: OpenMessage): string {
    const part = message.part;
    if (part === undefined) return '';
    const where = this.where(message);
    const whole = this.partOf(part.kind, part.text);
    let out =
      part.kind === 'output_text'
        ? this.event('response.output_text.done', { ...where, text: part.text, logprobs: [] })
        : this.event('response.refusal.done', { ...where, refusal: part.text });
    out += this.event('response.content_part.done', { ...where, part: whole });
    message.item.content.push(whole);
    message.part = undefined;
    return out;
  }

  private closeMessage(status: ItemStatus): string {
    const message = this.message;
    if (message === undefined) return '';
    let out = this.closePart(message);
    message.item.status = status;
    out += this.event('response.output_item.done', { output_index: message.outputIndex, item: message.item });
    this.message = undefined;
    return out;
  }

  private toolCall(call: JsonObject): string {
    const index = typeof call['index'] === 'number' ? call['index'] : 0;
    const fn = isRecord(call['function']) ? call['function'] : {};
    const args = typeof fn['arguments'] === 'string' ? fn['arguments'] : '';
    let out = '';
    let open = this.calls.get(index);
    if (open === undefined) {
      out += this.closeMessage('completed');
      const item: FunctionCallItem = {
        type: 'function_call',
        id: newId('fc'),
        call_id: typeof call['id'] === 'string' && call['id'] !== '' ? call['id'] : newId('call'),
        name: typeof fn['name'] === 'string' ? fn['name'] : '',
        arguments: '',
        status: 'in_progress',
      };
      open = { item, outputIndex: this.output.length };
      this.calls.set(index, open);
      this.output.push(item);
      out += this.event('response.output_item.added', { output_index: open.outputIndex, item: { ...item } });
    }
    if (args === '') return out;
    open.item.arguments += args;
    return (
      out + this.event('response.function_call_arguments.delta', { item_id: open.item.id, output_index: open.outputIndex, delta: args })
    );
  }

  private closeCalls(status: ItemStatus): string {
    let out = '';
    for (const { item, outputIndex } of this.calls.values()) {
      if (item.status !== 'in_progress') continue;
      out += this.event('response.function_call_arguments.done', {
        item_id: item.id,
        name: item.name,
        output_index: outputIndex,
        arguments: item.arguments,
      });
      item.status = status;
      out += this.event('response.output_item.done', { output_index: outputIndex, item });
    }
    return out;
  }

  /** Closes every open item, with the response's status: the answer is over. */
  private closeAll(): string {
    const status: ItemStatus = this.status === 'completed' ? 'completed' : 'incomplete';
    return this.closeMessage(status) + this.closeCalls(status);
  }
}
