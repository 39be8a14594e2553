/**
 * One Gemini `streamGenerateContent?alt=sse` stream into OpenAI chunks. Where Gemini differs: every
 * SSE event is a whole GenerateContentResponse fragment (no event names, no `[DONE]`: the end of the
 * body ends the stream); a function call arrives whole in one part (one tool-call delta with all its
 * arguments), without an id, and the candidate then finishes with `STOP` (newer models in a trailing
 * chunk of its own), which is `tool_calls` once any call was seen; usageMetadata rides on the chunks,
 * the last one final; a failure mid-stream is a chunk that is a google.rpc error object; a blocked
 * prompt is a chunk with `promptFeedback.blockReason` and no candidates. The answer is complete when
 * every candidate asked for has finished and the final usage has come, or when the body ends after
 * every candidate finished; a body that ends earlier is a broken stream.
 */
import type { ClientRequest, StreamOutput, StreamProgress, StreamTranslator, Usage, UpstreamTarget } from '../types.js';
import { upstreamErrorOf } from '../upstream-error.js';
import { isRecord, tryParseJson } from '../shared/json.js';
import type { SseEvent } from '../shared/sse-parser.js';
import { SseTranslator } from '../shared/sse-translator.js';
import { classifyErrorPayload } from './errors.js';
import { chatIdOf, createdOf, finishReasonOf, openAIUsage, partsOf, toolCallId, usageOf } from './response.js';
import type { GeminiCandidate, GeminiGenerateContentResponse, GeminiUsageMetadata } from './wire.js';

interface CandidateState {
  finished: boolean;
  toolCalls: number;
  text: string;
  contentChunks: number;
}

interface ChoiceDelta {
  index: number;
  delta: Record<string, unknown>;
  logprobs: null;
  finish_reason: string | null;
}

export class GeminiStreamTranslator extends SseTranslator implements StreamTranslator {
  private readonly candidates = new Map<number, CandidateState>();
  private readonly expectedCandidates: number;
  private emitted = false;
  private malformed = 0;
  private upstreamModel: string | undefined;
  private lastUsage: Usage | undefined;
  private lastUsageMeta: GeminiUsageMetadata | undefined;
  private envelope: { id: string; object: 'chat.completion.chunk'; created: number; model: string } | undefined;
  private responseId = '';

  constructor(
    private readonly req: ClientRequest,
    private readonly target: UpstreamTarget,
  ) {
    super();
    const n = req.body['n'];
    this.expectedCandidates = typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1;
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

  get malformedEvents(): number {
    return this.malformed;
  }

  get progress(): StreamProgress {
    const only = this.candidates.size === 1 ? this.candidates.get(0) : undefined;
    return {
      text: only?.text ?? '',
      contentChunks: only?.contentChunks ?? 0,
      continuable: only !== undefined && !only.finished && only.toolCalls === 0 && this.expectedCandidates === 1,
    };
  }

  protected bodyEnded(out: StreamOutput[]): void {
    if (this.candidates.size > 0 && this.allFinished()) this.finish(out);
    else this.fail(out, upstreamErrorOf('connection', 'upstream stream ended before the answer was complete'));
  }

  /** Gemini names no events: every one is a GenerateContentResponse. */
  protected onEvent(event: SseEvent, out: StreamOutput[]): void {
    this.onData(event.data, out);
  }

  private allFinished(): boolean {
    for (const state of this.candidates.values()) if (!state.finished) return false;
    return true;
  }

  private onData(data: string, out: StreamOutput[]): void {
    const parsed = tryParseJson(data);
    const doc: unknown = Array.isArray(parsed) && parsed.length === 1 ? parsed[0] : parsed;
    if (!isRecord(doc)) {
      this.malformed++;
      return;
    }
    if (isRecord(doc['error'])) {
      this.fail(out, classifyErrorPayload(doc));
      return;
    }
    this.onResponse(doc as GeminiGenerateContentResponse, out);
  }

  private onResponse(doc: GeminiGenerateContentResponse, out: StreamOutput[]): void {
    if (typeof doc.modelVersion === 'string' && doc.modelVersion !== '') this.upstreamModel = doc.modelVersion;
    if (typeof doc.responseId === 'string' && this.responseId === '') this.responseId = doc.responseId;
    const usage = usageOf(doc.usageMetadata);
    if (usage) {
      this.lastUsage = usage;
      this.lastUsageMeta = doc.usageMetadata;
    }
    const choices: ChoiceDelta[] = [];
    const candidates = Array.isArray(doc.candidates) ? doc.candidates : [];
    if (candidates.length === 0 && doc.promptFeedback?.blockReason !== undefined) {
      choices.push(this.blocked());
    } else {
      candidates.forEach((candidate, position) => {
        if (!isRecord(candidate)) return;
        const choice = this.choiceOf(candidate, typeof candidate.index === 'number' ? candidate.index : position);
        if (choice) choices.push(choice);
      });
    }
    if (choices.length > 0) this.emit(out, JSON.stringify({ ...this.envelopeOf(doc), choices }));
    if (usage && this.candidates.size >= this.expectedCandidates && this.allFinished()) this.finish(out);
  }

  /** A prompt Gemini refused to answer: one choice, finished as `content_filter`. */
  private blocked(): ChoiceDelta {
    const first = !this.candidates.has(0);
    this.candidates.set(0, { finished: true, toolCalls: 0, text: '', contentChunks: 0 });
    // Only one candidate will ever come: the stream is complete once usage is known.
    for (let i = 1; i < this.expectedCandidates; i++) this.candidates.set(i, { finished: true, toolCalls: 0, text: '', contentChunks: 0 });
    return { index: 0, delta: first ? { role: 'assistant', content: '' } : {}, logprobs: null, finish_reason: 'content_filter' };
  }

  private choiceOf(candidate: GeminiCandidate, index: number): ChoiceDelta | undefined {
    let state = this.candidates.get(index);
    const first = state === undefined;
    state ??= { finished: false, toolCalls: 0, text: '', contentChunks: 0 };
    this.candidates.set(index, state);
    if (state.finished) return undefined; // nothing after a candidate's finish reaches the client
    const delta: Record<string, unknown> = first ? { role: 'assistant' } : {};
    let text = '';
    const calls: unknown[] = [];
    for (const part of partsOf(candidate)) {
      if (typeof part.text === 'string') text += part.text;
      if (isRecord(part.functionCall)) {
        calls.push({
          index: state.toolCalls,
          id: toolCallId(this.responseId, index, state.toolCalls, part),
          type: 'function',
          function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        });
        state.toolCalls += 1;
      }
    }
    if (text !== '') {
      delta['content'] = text;
      state.text += text;
      state.contentChunks += 1;
    } else if (first) delta['content'] = calls.length > 0 ? null : '';
    if (calls.length > 0) delta['tool_calls'] = calls;
    const reason = typeof candidate.finishReason === 'string' ? finishReasonOf(candidate.finishReason, state.toolCalls > 0) : null;
    if (reason !== null) state.finished = true;
    if (!first && text === '' && calls.length === 0 && reason === null) return undefined;
    return { index, delta, logprobs: null, finish_reason: reason };
  }

  private envelopeOf(doc: GeminiGenerateContentResponse): NonNullable<GeminiStreamTranslator['envelope']> {
    return (this.envelope ??= {
      id: chatIdOf(doc),
      object: 'chat.completion.chunk',
      created: createdOf(doc),
      model: this.upstreamModel ?? this.target.model,
    });
  }

  private finish(out: StreamOutput[]): void {
    if (this.req.includeUsage && this.lastUsage && this.envelope) {
      this.emit(out, JSON.stringify({ ...this.envelope, choices: [], usage: openAIUsage(this.lastUsage, this.lastUsageMeta) }));
    }
    this.complete(out);
  }

  private emit(out: StreamOutput[], data: string): void {
    out.push({ type: 'chunk', data });
    this.emitted = true;
  }
}
