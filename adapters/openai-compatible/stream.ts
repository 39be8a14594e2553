/**
 * One OpenAI-compatible SSE stream into OpenAI chunks. The framing is OpenAI's, but servers differ in
 * the details: Azure opens with a prompt-filter chunk (`choices: []`, `object: ""`); vLLM may put usage
 * on every chunk and llama.cpp puts it on the last content chunk instead of a usage-only chunk; TGI and
 * llama.cpp send `:` keep-alive comments; vLLM/SGLang/TGI/llama.cpp report failures mid-stream as a
 * chunk with a top-level `error`; some servers close without `[DONE]`. Chunks that need no repair are
 * forwarded as the upstream's exact text. Usage is always recorded (the request asked for it) but only
 * shown to a client that asked `stream_options.include_usage`, as one `choices: []` chunk before `[DONE]`.
 */
import { randomUUID } from 'node:crypto';
import type { ClientRequest, StreamOutput, StreamProgress, StreamTranslator, Usage, UpstreamTarget } from '../types.js';
import { upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson, type JsonObject } from '../shared/json.js';
import type { SseEvent } from '../shared/sse-parser.js';
import { SseTranslator } from '../shared/sse-translator.js';
import { classifyErrorPayload } from './errors.js';
import { dropNulls, normalizeUsage, usageOf } from './normalize.js';
import { repairChatChoice, repairCompletionChoice, type ChoiceState, type ChoiceVerdict } from './chunk.js';

type RepairChoice = (choice: JsonObject, position: number, states: Map<number, ChoiceState>) => ChoiceVerdict;

export class OpenAICompatibleStreamTranslator extends SseTranslator implements StreamTranslator {
  private readonly object: string;
  private readonly repairChoice: RepairChoice;
  private readonly choices = new Map<number, ChoiceState>();
  /** `done` or `error` was emitted: nothing more comes out. */
  private emitted = false;
  private malformed = 0;
  private upstreamModel: string | undefined;
  private lastUsage: Usage | undefined;
  /** The upstream's last usage object, kept to build the client's usage chunk if it never got one. */
  private lastUsageRaw: JsonObject | undefined;
  /** The upstream's own usage-only chunk (text to forward), when the last usage came in one. */
  private usageChunk: string | undefined;
  /** id / created / model of the stream, for chunks we have to write ourselves. */
  private envelope: { id: string; created: number; model: string } | undefined;

  constructor(
    private readonly req: ClientRequest,
    private readonly target: UpstreamTarget,
  ) {
    super();
    const completions = req.operation === 'completions';
    this.object = completions ? 'text_completion' : 'chat.completion.chunk';
    this.repairChoice = completions ? repairCompletionChoice : repairChatChoice;
  }

  get usage(): Usage | undefined {
    return this.lastUsage;
  }

  get model(): string | undefined {
    return this.upstreamModel;
  }

  get started(): boolean {
    return this.emitted;
  }

  get progress(): StreamProgress {
    const only = this.choices.size === 1 ? this.choices.get(0) : undefined;
    return {
      text: only?.text ?? '',
      contentChunks: only?.contentChunks ?? 0,
      continuable: only !== undefined && !only.finished && only.toolCalls.size === 0 && this.req.operation === 'chat',
    };
  }

  /** Events whose data was not a JSON object; skipped, counted for logs and metrics. */
  get malformedEvents(): number {
    return this.malformed;
  }

  protected bodyEnded(out: StreamOutput[]): void {
    const seen = this.choices.size > 0;
    if (seen && [...this.choices.values()].every((c) => c.finished)) {
      // Complete, just without `[DONE]`: finalise now rather than wait for anything else.
      this.finish(out);
    } else {
      this.fail(out, upstreamErrorOf('connection', 'upstream stream ended before the answer was complete'));
    }
  }

  protected onEvent(event: SseEvent, out: StreamOutput[]): void {
    const data = event.data;
    if (event.event === 'error') {
      const parsed = tryParseJson(data);
      const payload = isRecord(parsed) && parsed['error'] !== undefined ? parsed : { error: isRecord(parsed) ? parsed : data };
      this.fail(out, classifyErrorPayload(payload));
      return;
    }
    if (data.trim() === '[DONE]') {
      this.onDone(out);
      return;
    }
    const chunk = tryParseJson(data);
    if (!isRecord(chunk)) {
      this.malformed++;
      return;
    }
    if (chunk['error'] !== undefined && chunk['error'] !== null) {
      this.fail(out, classifyErrorPayload(chunk));
      return;
    }
    this.onChunk(chunk, data, out);
  }

  private onChunk(chunk: JsonObject, data: string, out: StreamOutput[]): void {
    let changed = false;
    let choices = chunk['choices'];
    if (!Array.isArray(choices)) {
      choices = [];
      chunk['choices'] = choices; // `choices: null` is never forwarded
      changed = true;
    }
    const list = choices as unknown[];
    const usage = chunk['usage'];
    if (isRecord(usage)) {
      changed = normalizeUsage(usage) || changed;
      this.lastUsageRaw = usage;
      this.lastUsage = usageOf(usage) ?? this.lastUsage;
    }
    if (typeof chunk['model'] === 'string' && chunk['model'] !== '') this.upstreamModel = chunk['model'];
    if (list.length === 0) {
      // Azure's prompt-filter chunk and other empty chunks carry nothing for the client. A usage-only
      // chunk is held back and sent just before `[DONE]`, where clients expect it, if they asked.
      if (isRecord(usage) && this.req.includeUsage) this.usageChunk = this.repairEnvelope(chunk) || changed ? JSON.stringify(chunk) : data;
      return;
    }
    // Usage on a content chunk (vLLM continuous stats, llama.cpp's last chunk) moves to its own chunk.
    if (isRecord(usage)) {
      delete chunk['usage'];
      this.usageChunk = undefined;
      changed = true;
    }
    for (let i = 0; i < list.length; i++) {
      const choice = list[i];
      if (!isRecord(choice)) {
        this.malformed++;
        list.splice(i--, 1);
        changed = true;
        continue;
      }
      const verdict = this.repairChoice(choice, i, this.choices);
      if (verdict === 'aborted') {
        this.fail(out, upstreamErrorOf('server', 'upstream aborted the generation (finish_reason "abort")'));
        return;
      }
      if (verdict === 'changed') changed = true;
    }
    if (list.length === 0) return;
    changed = this.repairEnvelope(chunk) || changed;
    this.emit(out, changed ? JSON.stringify(chunk) : data);
  }

  /** `object`, `id` and `created` as the spec requires; remembers them for chunks we write. */
  private repairEnvelope(chunk: JsonObject): boolean {
    let changed = dropNulls(chunk, ['system_fingerprint']);
    if (chunk['object'] !== this.object) {
      chunk['object'] = this.object;
      changed = true;
    }
    const envelope = (this.envelope ??= {
      id:
        typeof chunk['id'] === 'string'
          ? chunk['id']
          : `${this.object === 'text_completion' ? 'cmpl' : 'chatcmpl'}-${randomUUID().replaceAll('-', '')}`,
      created: Number.isInteger(chunk['created']) ? (chunk['created'] as number) : Math.floor(Date.now() / 1000),
      model: typeof chunk['model'] === 'string' ? chunk['model'] : this.target.model,
    });
    if (typeof chunk['id'] !== 'string') {
      chunk['id'] = envelope.id;
      changed = true;
    }
    if (!Number.isInteger(chunk['created'])) {
      chunk['created'] = envelope.created;
      changed = true;
    }
    if (typeof chunk['model'] !== 'string') {
      chunk['model'] = envelope.model;
      changed = true;
    }
    return changed;
  }

  private onDone(out: StreamOutput[]): void {
    if (this.choices.size === 0) {
      this.fail(out, upstreamErrorOf('server', 'upstream ended the stream without any answer'));
      return;
    }
    // `[DONE]` is the server's word that it finished; a choice it never closed is closed as `stop`
    // so that SDK accumulators (which require a finish_reason per choice) can complete.
    for (const [index, state] of this.choices) {
      if (state.finished) continue;
      state.finished = true;
      const choice =
        this.object === 'text_completion'
          ? { index, text: '', logprobs: null, finish_reason: 'stop' }
          : { index, delta: {}, logprobs: null, finish_reason: 'stop' };
      this.emit(out, JSON.stringify({ ...this.written(), choices: [choice] }));
    }
    this.finish(out);
  }

  /** The usage chunk, if the client asked and the upstream reported usage, then `done`. */
  private finish(out: StreamOutput[]): void {
    if (this.req.includeUsage && this.lastUsageRaw) {
      this.emit(out, this.usageChunk ?? JSON.stringify({ ...this.written(), choices: [], usage: this.lastUsageRaw }));
    }
    this.complete(out);
  }

  private written(): { id: string; object: string; created: number; model: string } {
    const e = this.envelope ?? { id: '', created: Math.floor(Date.now() / 1000), model: this.upstreamModel ?? this.target.model };
    return { id: e.id, object: this.object, created: e.created, model: e.model };
  }

  private emit(out: StreamOutput[], data: string): void {
    out.push({ type: 'chunk', data });
    this.emitted = true;
  }
}
