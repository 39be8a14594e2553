/**
 * A Responses API stream from an upstream that speaks it, passed through event by event: each SSE
 * event goes to the client as it came (its data unchanged, its `event:` name kept). The translator
 * only watches: the usage and model of `response.completed` / `response.incomplete` (the last event
 * of an answer, after which it is done), and the failures, `response.failed` and `error` events,
 * which end the stream as an upstream error. A body that ends before the answer is complete is a
 * connection error. A native answer is never continued elsewhere (not `continuable`).
 *
 * The opening events (`response.created`, `response.in_progress`, an empty item or part added) are
 * held back until the first event with content: until then nothing has reached the client, so an
 * upstream that fails right after opening still fails over, and time to first token is measured to
 * the first content, as on every other stream.
 */
import type { StreamOutput, StreamProgress, Usage } from '../../types.js';
import { upstreamErrorOf, type UpstreamErrorInfo, type UpstreamErrorKind } from '../../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../../shared/json.js';
import type { SseEvent } from '../../shared/sse-parser.js';
import { NativeSseTranslator } from '../../shared/native-sse-stream.js';
import { classifyErrorPayload } from '../errors.js';
import { nativeUsage } from './native.js';

/** Error codes of Responses stream failures that say more than "the server failed". */
const kindsByCode: Readonly<Record<string, UpstreamErrorKind>> = {
  rate_limit_exceeded: 'rate_limited',
  server_is_overloaded: 'overloaded',
  slow_down: 'overloaded',
  context_length_exceeded: 'context_length',
  content_filter: 'content_filter',
};

/** A failure's `{code, message, param}` (an `error` event's own, or `response.error`) as an upstream error. */
export function classifyStreamFailure(error: unknown): UpstreamErrorInfo {
  const fields = isRecord(error) ? error : {};
  const code = typeof fields['code'] === 'string' ? fields['code'] : null;
  const kind = code === null ? undefined : kindsByCode[code];
  if (kind === undefined) return classifyErrorPayload({ error: fields });
  const message = typeof fields['message'] === 'string' && fields['message'] !== '' ? fields['message'] : `upstream failed (${code})`;
  return upstreamErrorOf(kind, message, { code, param: typeof fields['param'] === 'string' ? fields['param'] : null });
}

/** Events a stream opens with, before any content: held back (see the file's comment). */
const openingEvents: ReadonlySet<string> = new Set([
  'response.created',
  'response.queued',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
]);

/** Events the translator reads (the answer's end, its usage and model, failures); every other named event passes unread. */
const inspected: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

export class NativeResponsesStreamTranslator extends NativeSseTranslator {
  private lastUsage: Usage | undefined;
  private upstreamModel: string | undefined;
  private contentChunks = 0;

  /** `mapModel` turns the model the upstream names into the one the drift check compares (Azure's). */
  constructor(private readonly mapModel: (model: string | undefined) => string | undefined = (m) => m) {
    super('upstream stream ended before the response was complete');
  }

  get usage(): Usage | undefined {
    return this.lastUsage;
  }

  get model(): string | undefined {
    return this.mapModel(this.upstreamModel);
  }

  get progress(): StreamProgress {
    // Never continued elsewhere, so the text the client has is not kept (reading it would mean parsing every delta).
    return { text: '', contentChunks: this.contentChunks, continuable: false };
  }

  protected onEvent(event: SseEvent, out: StreamOutput[]): void {
    // A named event the translator need not read passes unparsed: most of a stream is deltas, and parsing
    // each one (to forward it unchanged) was most of a native stream's cost (`npm run bench`).
    if (event.event !== 'message' && !inspected.has(event.event) && event.data !== '') {
      if (event.event === 'response.output_text.delta') this.contentChunks += 1;
      this.forward(out, event.data, event.event, openingEvents.has(event.event));
      return;
    }
    const parsed = tryParseJson(event.data);
    if (!isRecord(parsed)) return; // keep-alive payloads, `[DONE]` from proxies: nothing to forward
    const type = typeof parsed['type'] === 'string' ? parsed['type'] : event.event;
    if (type === 'error') {
      const inner = isRecord(parsed['error']) ? parsed['error'] : parsed;
      this.fail(out, classifyStreamFailure(inner));
      return;
    }
    if (type === 'response.failed') {
      const response = isRecord(parsed['response']) ? parsed['response'] : {};
      this.fail(out, classifyStreamFailure(response['error']));
      return;
    }
    this.observe(type, parsed);
    this.forward(out, event.data, event.event === 'message' ? type : event.event, openingEvents.has(type));
    if (type === 'response.completed' || type === 'response.incomplete') this.complete(out);
  }

  private observe(type: string, event: JsonObject): void {
    if (type === 'response.output_text.delta') this.contentChunks += 1;
    const response = event['response'];
    if (!isRecord(response)) return;
    if (typeof response['model'] === 'string' && response['model'] !== '') this.upstreamModel = response['model'];
    const usage = nativeUsage(response['usage']);
    if (usage) this.lastUsage = usage;
  }
}
