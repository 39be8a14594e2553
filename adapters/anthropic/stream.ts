/**
 * One Anthropic Messages stream into OpenAI chunks. Anthropic names every event (`event:` equals the
 * JSON `type`): `message_start` (id, model, the input side of usage), then per content block
 * `content_block_start` / `_delta`* / `_stop` by the block's position, `message_delta` (the stop reason
 * and cumulative usage: replaced, never added), `message_stop` (the end; there is no `[DONE]`); `ping`
 * anywhere, and an `error` event (e.g. `overloaded_error`) inside the 200 stream when generation fails.
 * Text deltas become `delta.content`; each `tool_use` block becomes the next OpenAI tool-call index
 * (counting tool blocks only, not Anthropic's block index), opened with id, name and `arguments: ""`,
 * then fed the `input_json_delta` fragments. The role goes out with the first content rather than on
 * `message_start`, so that nothing reaches the client (and a failover stays clean) until the model has
 * produced something. Unknown events and thinking deltas are ignored, as Anthropic asks clients to.
 */
import type { ClientRequest, StreamOutput, StreamProgress, StreamTranslator, Usage, UpstreamTarget } from '../types.js';
import { upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import type { SseEvent } from '../shared/sse-parser.js';
import { SseTranslator } from '../shared/sse-translator.js';
import { classifyStreamError } from './errors.js';
import { completionIdOf, finishReasonOf, openAIUsageOf, usageOf, type FinishReason } from './response.js';

/** What one of Anthropic's content blocks is, by its index. */
type BlockState = { kind: 'text' } | { kind: 'tool'; toolIndex: number; argumentsSent: boolean } | { kind: 'other' };

export class AnthropicStreamTranslator extends SseTranslator implements StreamTranslator {
  private readonly blocks = new Map<number, BlockState>();
  private emitted = false;
  private roleSent = false;
  private malformed = 0;
  private envelope: { id: string; created: number; model: string } | undefined;
  private upstreamModel: string | undefined;
  /** Usage as Anthropic reports it: message_start's counts, overwritten by each message_delta's. */
  private usageCounts: JsonObject | undefined;
  private stopReason: FinishReason | undefined;
  private toolCount = 0;
  private text = '';
  private contentChunks = 0;

  constructor(
    private readonly req: ClientRequest,
    private readonly target: UpstreamTarget,
  ) {
    super();
  }

  get usage(): Usage | undefined {
    return usageOf(this.usageCounts);
  }

  get model(): string | undefined {
    return this.upstreamModel;
  }

  get started(): boolean {
    return this.emitted;
  }

  get progress(): StreamProgress {
    return {
      text: this.text,
      contentChunks: this.contentChunks,
      continuable: this.stopReason === undefined && this.toolCount === 0 && this.req.operation === 'chat',
    };
  }

  /** Events whose data was not a JSON object; skipped, counted for logs and metrics. */
  get malformedEvents(): number {
    return this.malformed;
  }

  protected bodyEnded(out: StreamOutput[]): void {
    // A stop reason is Anthropic's word that the answer is whole; only `message_stop` was lost.
    if (this.stopReason !== undefined) this.finish(out);
    else this.fail(out, upstreamErrorOf('connection', 'upstream stream ended before the answer was complete'));
  }

  protected onEvent(event: SseEvent, out: StreamOutput[]): void {
    if (event.event === 'error') {
      this.fail(out, classifyStreamError(event.data));
      return;
    }
    const data = tryParseJson(event.data);
    if (!isRecord(data)) {
      this.malformed++;
      return;
    }
    // The JSON `type` is authoritative (it always equals the event name when both are present).
    switch (data['type']) {
      case 'message_start':
        return this.onMessageStart(data['message']);
      case 'content_block_start':
        return this.onBlockStart(data['index'], data['content_block'], out);
      case 'content_block_delta':
        return this.onBlockDelta(data['index'], data['delta'], out);
      case 'content_block_stop':
        return this.onBlockStop(data['index'], out);
      case 'message_delta':
        if (isRecord(data['delta']) && data['delta']['stop_reason'] !== undefined && data['delta']['stop_reason'] !== null) {
          this.stopReason = finishReasonOf(data['delta']['stop_reason']);
        }
        this.mergeUsage(data['usage']);
        return;
      case 'message_stop':
        this.finish(out);
        return;
      case 'error':
        this.fail(out, classifyStreamError(event.data));
        return;
      default:
        return; // ping, and event types Anthropic adds later
    }
  }

  private onMessageStart(message: unknown): void {
    if (!isRecord(message)) return;
    if (typeof message['model'] === 'string' && message['model'] !== '') this.upstreamModel = message['model'];
    this.envelope ??= {
      id: completionIdOf(message['id']),
      created: Math.floor(Date.now() / 1000),
      model: this.upstreamModel ?? this.target.model,
    };
    this.mergeUsage(message['usage']);
  }

  private mergeUsage(usage: unknown): void {
    if (!isRecord(usage)) return;
    const merged: JsonObject = { ...this.usageCounts };
    for (const [key, value] of Object.entries(usage)) if (typeof value === 'number') merged[key] = value;
    this.usageCounts = merged;
  }

  private onBlockStart(index: unknown, block: unknown, out: StreamOutput[]): void {
    if (typeof index !== 'number' || !isRecord(block)) return;
    if (block['type'] === 'text') {
      this.blocks.set(index, { kind: 'text' });
      if (typeof block['text'] === 'string' && block['text'] !== '') this.emitText(block['text'], out);
      return;
    }
    if (block['type'] !== 'tool_use' || typeof block['id'] !== 'string' || typeof block['name'] !== 'string') {
      this.blocks.set(index, { kind: 'other' });
      return;
    }
    const state: BlockState = { kind: 'tool', toolIndex: this.toolCount++, argumentsSent: false };
    this.blocks.set(index, state);
    const call = { index: state.toolIndex, id: block['id'], type: 'function', function: { name: block['name'], arguments: '' } };
    this.emitDelta({ content: null, tool_calls: [call] }, out);
    // A block that arrives whole (no input_json_delta follows) carries its input already.
    const input = block['input'];
    if (isRecord(input) && Object.keys(input).length > 0) this.emitArguments(state, JSON.stringify(input), out);
  }

  private onBlockDelta(index: unknown, delta: unknown, out: StreamOutput[]): void {
    const state = typeof index === 'number' ? this.blocks.get(index) : undefined;
    if (state === undefined || !isRecord(delta)) return;
    if (state.kind === 'text' && delta['type'] === 'text_delta' && typeof delta['text'] === 'string' && delta['text'] !== '') {
      this.emitText(delta['text'], out);
    } else if (state.kind === 'tool' && delta['type'] === 'input_json_delta' && typeof delta['partial_json'] === 'string') {
      if (delta['partial_json'] !== '') this.emitArguments(state, delta['partial_json'], out);
    }
  }

  private onBlockStop(index: unknown, out: StreamOutput[]): void {
    const state = typeof index === 'number' ? this.blocks.get(index) : undefined;
    // A tool without arguments streams none; OpenAI clients parse `arguments`, so it becomes `{}`.
    if (state?.kind === 'tool' && !state.argumentsSent) this.emitArguments(state, '{}', out);
  }

  private emitText(text: string, out: StreamOutput[]): void {
    this.text += text;
    this.contentChunks += 1;
    this.emitDelta({ content: text }, out);
  }

  private emitArguments(state: Extract<BlockState, { kind: 'tool' }>, fragment: string, out: StreamOutput[]): void {
    state.argumentsSent = true;
    this.emitDelta({ tool_calls: [{ index: state.toolIndex, function: { arguments: fragment } }] }, out);
  }

  private emitDelta(delta: JsonObject, out: StreamOutput[], finishReason: FinishReason | null = null): void {
    const withRole = this.roleSent ? delta : { role: 'assistant', content: '', ...delta };
    this.roleSent = true;
    this.emit(out, { ...this.envelopeFields(), choices: [{ index: 0, delta: withRole, logprobs: null, finish_reason: finishReason }] });
  }

  /** The finish chunk, the usage chunk for a client that asked, then `done`. */
  private finish(out: StreamOutput[]): void {
    if (!this.roleSent && this.stopReason === undefined && this.envelope === undefined) {
      this.fail(out, upstreamErrorOf('server', 'upstream ended the stream without any answer'));
      return;
    }
    this.emitDelta({}, out, this.stopReason ?? 'stop');
    const usage = openAIUsageOf(this.usageCounts);
    if (this.req.includeUsage && usage) this.emit(out, { ...this.envelopeFields(), choices: [], usage });
    this.complete(out);
  }

  private envelopeFields(): { id: string; object: string; created: number; model: string } {
    const e = (this.envelope ??= {
      id: completionIdOf(undefined),
      created: Math.floor(Date.now() / 1000),
      model: this.upstreamModel ?? this.target.model,
    });
    return { id: e.id, object: 'chat.completion.chunk', created: e.created, model: e.model };
  }

  private emit(out: StreamOutput[], chunk: JsonObject): void {
    out.push({ type: 'chunk', data: JSON.stringify(chunk) });
    this.emitted = true;
  }
}
