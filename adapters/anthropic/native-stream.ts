/**
 * An Anthropic stream passed through to a Messages API client (the front door, native): every event
 * goes out as it came, named, `ping` included (it is the client's keep-alive too). Only what the
 * gateway needs is read on the way: the model (`message_start`), usage (`message_start`'s input side,
 * overwritten by each `message_delta`'s cumulative counts), the end (`message_stop`, then `done`) and
 * failures (an `error` event, classified as for a translated stream). `message_start` and any `ping`
 * before the first content are held back until something else comes, so that an upstream failing
 * before it produced anything has sent the client nothing and another deployment can still answer.
 * Events whose data is not JSON are dropped (a client's parser would fail on them), but content blocks,
 * the bulk of a stream, are forwarded without being read. A native answer is
 * never continued elsewhere: another deployment could not carry on Anthropic's event sequence.
 */
import type { StreamOutput, StreamProgress, Usage } from '../types.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import type { SseEvent } from '../shared/sse-parser.js';
import { NativeSseTranslator } from '../shared/native-sse-stream.js';
import { classifyStreamError } from './errors.js';
import { usageOf } from './response.js';

/** Named events the translator forwards without reading them. */
const passedUnread: ReadonlySet<string> = new Set(['content_block_start', 'content_block_delta', 'content_block_stop']);

const notContinuable: StreamProgress = { text: '', contentChunks: 0, continuable: false };

export class AnthropicNativeStreamTranslator extends NativeSseTranslator {
  private malformed = 0;
  private upstreamModel: string | undefined;
  private usageCounts: JsonObject | undefined;

  constructor() {
    super('upstream stream ended before message_stop');
  }

  get usage(): Usage | undefined {
    return usageOf(this.usageCounts);
  }

  get model(): string | undefined {
    return this.upstreamModel;
  }

  get progress(): StreamProgress {
    return notContinuable;
  }

  /** Events whose data was not JSON; dropped, counted for logs. */
  get malformedEvents(): number {
    return this.malformed;
  }

  protected onEvent(event: SseEvent, out: StreamOutput[]): void {
    // The bulk of a stream (content_block_delta, and the block starts and stops) passes unparsed: the
    // translator reads nothing in it, and parsing each event to forward it unchanged was the cost of a
    // native stream. The events it does read, and unnamed ones, are parsed.
    if (passedUnread.has(event.event) && event.data !== '') {
      this.forward(out, event.data, event.event, false);
      return;
    }
    const data = tryParseJson(event.data);
    if (event.event === 'error' || (isRecord(data) && data['type'] === 'error')) {
      this.fail(out, classifyStreamError(event.data));
      return;
    }
    if (!isRecord(data)) {
      this.malformed++;
      return;
    }
    const type = typeof data['type'] === 'string' ? data['type'] : event.event;
    if (type === 'message_start') this.onMessageStart(data['message']);
    else if (type === 'message_delta') this.mergeUsage(data['usage']);
    this.forward(out, event.data, event.event === 'message' ? type : event.event, type === 'message_start' || type === 'ping');
    if (type === 'message_stop') this.complete(out);
  }

  private onMessageStart(message: unknown): void {
    if (!isRecord(message)) return;
    if (typeof message['model'] === 'string' && message['model'] !== '') this.upstreamModel = message['model'];
    this.mergeUsage(message['usage']);
  }

  private mergeUsage(usage: unknown): void {
    if (!isRecord(usage)) return;
    const merged: JsonObject = { ...this.usageCounts };
    for (const [key, value] of Object.entries(usage)) if (typeof value === 'number') merged[key] = value;
    this.usageCounts = merged;
  }
}
