/**
 * One ConverseStream body into OpenAI chunks. The body is binary event-stream frames (event-stream.ts),
 * not SSE: `messageStart` (the role chunk), `contentBlockStart` (only tool-use blocks have one: the
 * tool call's id and name), `contentBlockDelta` (text, tool input JSON fragments, reasoning text),
 * `contentBlockStop`, `messageStop` (the stop reason: the finish chunk), then `metadata` (usage, after
 * the finish, where OpenAI's usage chunk goes too). The answer is complete at `metadata`, or at the
 * body's end after `messageStop`; an end before `messageStop` is an error. Exception frames
 * (`:message-type: exception`) arrive inside the 200 and end the stream as classified errors. Tool
 * calls are numbered 0.. in the order their blocks start (Bedrock numbers every block, text included).
 */
import type { ClientRequest, StreamOutput, StreamProgress, StreamTranslator, Usage, UpstreamTarget } from '../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import { EventStreamDecoder, type DecodedEvent } from './event-stream.js';
import { classifyStreamException } from './errors.js';
import { finishReasonOf, newEnvelope, usageOf } from './response.js';

export class BedrockStreamTranslator implements StreamTranslator {
  private readonly decoder = new EventStreamDecoder();
  private readonly envelope: { id: string; created: number };
  /** Bedrock's content block index -> OpenAI tool call index. */
  private readonly toolIndexes = new Map<number, number>();
  private closed = false;
  private emitted = false;
  private roleSent = false;
  private stopped = false;
  private text = '';
  private contentChunks = 0;
  private malformed = 0;
  private lastUsage: Usage | undefined;
  private usageChunk: JsonObject | undefined;

  constructor(
    private readonly req: ClientRequest,
    private readonly target: UpstreamTarget,
  ) {
    this.envelope = newEnvelope(req);
  }

  get usage(): Usage | undefined {
    return this.lastUsage;
  }

  /** Bedrock never names the model that answered: nothing to compare for drift. */
  get model(): string | undefined {
    return undefined;
  }

  get started(): boolean {
    return this.emitted;
  }

  get progress(): StreamProgress {
    return { text: this.text, contentChunks: this.contentChunks, continuable: !this.stopped && this.toolIndexes.size === 0 };
  }

  /** Frames whose payload was not a JSON object; skipped, counted for logs and metrics. */
  get malformedEvents(): number {
    return this.malformed;
  }

  push(bytes: Uint8Array): StreamOutput[] {
    if (this.closed) return [];
    const out: StreamOutput[] = [];
    let events: DecodedEvent[];
    try {
      events = this.decoder.push(bytes);
    } catch (err) {
      this.fail(out, upstreamErrorOf('server', `Bedrock sent a corrupt event-stream frame: ${(err as Error).message}`));
      return out;
    }
    for (const event of events) {
      if (this.closed) break;
      this.onEvent(event, out);
    }
    return out;
  }

  end(): StreamOutput[] {
    if (this.closed) return [];
    const out: StreamOutput[] = [];
    if (this.stopped && this.decoder.buffered === 0) this.finish(out);
    else this.fail(out, upstreamErrorOf('connection', 'Bedrock stream ended before the answer was complete'));
    return out;
  }

  private onEvent(event: DecodedEvent, out: StreamOutput[]): void {
    if (event.messageType === 'exception') return this.fail(out, classifyStreamException(event.name, event.payload));
    if (event.messageType === 'error') {
      return this.fail(out, upstreamErrorOf('server', `Bedrock stream error ${event.name}: ${event.payload}`, { code: event.name }));
    }
    const payload = tryParseJson(event.payload);
    if (!isRecord(payload)) {
      this.malformed++;
      return;
    }
    switch (event.name) {
      case 'messageStart':
        return this.sendRole(out);
      case 'contentBlockStart':
        return this.onBlockStart(payload, out);
      case 'contentBlockDelta':
        return this.onDelta(payload, out);
      case 'messageStop':
        return this.onStop(payload, out);
      case 'metadata':
        return this.onMetadata(payload, out);
      default:
        // contentBlockStop and event types newer than this adapter: nothing for the client.
        return;
    }
  }

  private sendRole(out: StreamOutput[]): void {
    if (this.roleSent) return;
    this.roleSent = true;
    this.emit(out, { role: 'assistant', content: '' });
  }

  private onBlockStart(payload: JsonObject, out: StreamOutput[]): void {
    const start = payload['start'];
    const use = isRecord(start) ? start['toolUse'] : undefined;
    if (!isRecord(use)) return;
    this.sendRole(out);
    const index = this.toolIndexes.size;
    this.toolIndexes.set(Number(payload['contentBlockIndex']), index);
    const call = {
      index,
      id: typeof use['toolUseId'] === 'string' ? use['toolUseId'] : '',
      type: 'function',
      function: { name: typeof use['name'] === 'string' ? use['name'] : '', arguments: '' },
    };
    this.emit(out, { tool_calls: [call] });
  }

  private onDelta(payload: JsonObject, out: StreamOutput[]): void {
    const delta = payload['delta'];
    if (!isRecord(delta)) return;
    this.sendRole(out);
    if (typeof delta['text'] === 'string') {
      if (delta['text'] === '') return;
      this.text += delta['text'];
      this.contentChunks += 1;
      this.emit(out, { content: delta['text'] });
    } else if (isRecord(delta['toolUse']) && typeof delta['toolUse']['input'] === 'string') {
      if (delta['toolUse']['input'] === '') return;
      const index = this.toolIndexes.get(Number(payload['contentBlockIndex']));
      if (index === undefined) return void this.malformed++;
      this.emit(out, { tool_calls: [{ index, function: { arguments: delta['toolUse']['input'] } }] });
    } else if (isRecord(delta['reasoningContent']) && typeof delta['reasoningContent']['text'] === 'string') {
      this.emit(out, { reasoning_content: delta['reasoningContent']['text'] });
    }
  }

  private onStop(payload: JsonObject, out: StreamOutput[]): void {
    if (this.stopped) return;
    this.sendRole(out);
    this.stopped = true;
    this.emit(out, {}, finishReasonOf(payload['stopReason']));
  }

  private onMetadata(payload: JsonObject, out: StreamOutput[]): void {
    const usage = usageOf(payload['usage']);
    if (usage) {
      this.lastUsage = usage.usage;
      this.usageChunk = usage.openai;
    }
    // Metadata closes the stream; before messageStop it only reports usage so far.
    if (this.stopped) this.finish(out);
  }

  private finish(out: StreamOutput[]): void {
    if (this.req.includeUsage && this.usageChunk) this.writeChunk(out, { ...this.head(), choices: [], usage: this.usageChunk });
    out.push({ type: 'done' });
    this.closed = true;
  }

  private fail(out: StreamOutput[], error: UpstreamErrorInfo): void {
    out.push({ type: 'error', error });
    this.closed = true;
  }

  private head(): JsonObject {
    return { id: this.envelope.id, object: 'chat.completion.chunk', created: this.envelope.created, model: this.target.model };
  }

  private emit(out: StreamOutput[], delta: JsonObject, finish: string | null = null): void {
    this.writeChunk(out, { ...this.head(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  }

  private writeChunk(out: StreamOutput[], chunk: JsonObject): void {
    out.push({ type: 'chunk', data: JSON.stringify(chunk) });
    this.emitted = true;
  }
}
