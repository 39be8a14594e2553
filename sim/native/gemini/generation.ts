/**
 * One Gemini answer being generated, on the shared plan, scheduler and faults: the whole
 * GenerateContentResponse after the answer's time, or `streamGenerateContent?alt=sse` events, one
 * per step: each event a GenerateContentResponse with the candidates' next text, the last one with
 * `finishReason` and the final `usageMetadata` (earlier ones carry the prompt count only, as Google's
 * do). A tool call goes out whole in one event and the candidate then finishes with `STOP` in a
 * trailing event, as newer Gemini models do. There is no `[DONE]`: the body ends. Stream faults: cut,
 * stall, a malformed event, a mid-stream google.rpc error event, a slow first token, drift, diverge;
 * `no_done` and `keepalive_comments` change nothing here (Google sends neither a terminator nor comments).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { completionTokens, planAnswer, type ChoicePlan } from '../../answer.js';
import type { SimContext } from '../../context.js';
import { Exchange } from '../../exchange.js';
import type { Fault } from '../../faults.js';
import type { ErrorDetails } from '../../flavor.js';
import { hashNumber } from '../../random.js';
import type { CompletionRequest } from '../../request.js';
import type { Sequence } from '../../scheduler.js';
import { googleError } from './errors.js';

const DIVERGE_SALT = 0x9e3779b9;
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
const MALFORMED_EVENT = 'data: {"candidates": [oops\r\n\r\n';

type ChunkFault = Extract<Fault, { after_chunks: number }>;

/** An Exchange whose errors (faults included) are Google's. */
export class GoogleExchange extends Exchange {
  constructor(sim: SimContext, res: ServerResponse, tracked = true) {
    super(sim, res, tracked);
  }

  protected override baseHeaders(): OutgoingHttpHeaders {
    return {};
  }

  override error(status: number, details?: ErrorDetails, headers?: OutgoingHttpHeaders): void {
    const retry = headers?.['retry-after'];
    this.json(status, googleError(status, details?.message, retry === undefined ? undefined : Number(retry)), headers);
  }
}

const finishReasonOf = (choice: ChoicePlan): string => (choice.finish === 'length' ? 'MAX_TOKENS' : 'STOP');

/** The steps a choice takes on the wire: its text pieces, or the call and then the trailing STOP. */
const stepsOf = (choice: ChoicePlan): number => (choice.toolCall ? 2 : Math.max(1, choice.pieces.length));

export class GeminiGeneration extends GoogleExchange implements Sequence {
  readonly promptTokens: number;
  readonly plannedTokens: number;
  readonly firstTokenDelayMs: number;
  readonly tpotMs: number;
  admittedAt = 0;
  private readonly choices: ChoicePlan[];
  private readonly steps: number;
  private readonly responseId: string;
  private readonly modelVersion: string;
  private step = 0;
  private contentSent = 0;
  private chunkFault: ChunkFault | undefined;
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private bodySent = false;

  constructor(
    sim: SimContext,
    res: ServerResponse,
    private readonly request: CompletionRequest,
    private readonly fault: Fault | undefined,
  ) {
    super(sim, res);
    const planned = fault?.type === 'diverge' ? { ...request, promptHash: hashNumber(DIVERGE_SALT, request.promptHash) } : request;
    this.choices = planAnswer(planned, sim.options.outputTokens, sim.ids);
    this.steps = Math.max(1, ...this.choices.map(stepsOf));
    this.promptTokens = request.promptTokens;
    this.plannedTokens = completionTokens(this.choices);
    this.tpotMs = sim.options.tpotMs;
    this.firstTokenDelayMs = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
    this.responseId = sim.nextId('');
    this.modelVersion = fault?.type === 'drift' ? fault.model : request.model;
    if (fault && 'after_chunks' in fault) this.chunkFault = fault;
  }

  start(): void {
    if (this.leadingFault(this.fault)) return;
    if (this.request.stream) this.res.writeHead(200, SSE_HEADERS);
    this.sim.scheduler.enqueue(this);
    if (this.request.stream && this.step === 0 && !this.settled && !this.res.destroyed) this.res.flushHeaders();
  }

  admit(): void {
    if (!this.request.stream) {
      const delay = this.firstTokenDelayMs + (this.steps - 1) * this.tpotMs;
      if (delay <= 0) this.onBodyDue();
      else this.timer = setTimeout(this.onBodyDue, delay);
      return;
    }
    if (this.firstTokenDelayMs <= 0) this.advance();
    else this.timer = setTimeout(this.onTick, this.firstTokenDelayMs);
  }

  protected override closed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    const generated = this.request.stream
      ? this.contentSent
      : this.bodySent
        ? this.plannedTokens
        : this.sim.scheduler.generatedBy(this, Date.now());
    this.sim.scheduler.release(this, generated);
  }

  private readonly onBodyDue = (): void => {
    if (this.res.destroyed) return;
    this.bodySent = true;
    this.release();
    const candidates = this.choices.map((choice) => ({
      content: { parts: choice.toolCall ? [this.callPart(choice)] : [{ text: choice.pieces.join('') }], role: 'model' },
      finishReason: finishReasonOf(choice),
      index: choice.index,
    }));
    this.json(200, this.envelope(candidates, this.usage(this.plannedTokens)), undefined, this.fault);
  };

  private readonly onTick = (): void => {
    if (!this.res.destroyed) this.advance();
  };

  private callPart(choice: ChoicePlan): Record<string, unknown> {
    const call = choice.toolCall!;
    return { functionCall: { name: call.name, args: JSON.parse(call.arguments) as unknown } };
  }

  private usage(candidates: number | undefined): Record<string, unknown> {
    const prompt = { promptTokenCount: this.promptTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: this.promptTokens }] };
    if (candidates === undefined) return { ...prompt, totalTokenCount: this.promptTokens };
    return {
      promptTokenCount: this.promptTokens,
      candidatesTokenCount: candidates,
      totalTokenCount: this.promptTokens + candidates,
      promptTokensDetails: prompt.promptTokensDetails,
    };
  }

  private envelope(candidates: unknown[], usageMetadata: Record<string, unknown>): Record<string, unknown> {
    return { candidates, usageMetadata, modelVersion: this.modelVersion, responseId: this.responseId };
  }

  /** The candidates' part of step `step`, and whether it is the last event. */
  private event(step: number): { text: string; last: boolean } {
    const candidates: unknown[] = [];
    let last = true;
    for (const choice of this.choices) {
      const steps = stepsOf(choice);
      if (step >= steps) continue;
      const final = step === steps - 1;
      if (!final) last = false;
      const candidate: Record<string, unknown> = { index: choice.index };
      if (choice.toolCall) candidate['content'] = { parts: [step === 0 ? this.callPart(choice) : { text: '' }], role: 'model' };
      else candidate['content'] = { parts: [{ text: choice.pieces[step] ?? '' }], role: 'model' };
      if (final) candidate['finishReason'] = finishReasonOf(choice);
      if (!choice.toolCall && step < choice.pieces.length) this.contentSent += 1;
      else if (choice.toolCall && step === 0) this.contentSent += choice.pieces.length;
      candidates.push(candidate);
    }
    last = last && step >= this.steps - 1;
    const body = this.envelope(candidates, this.usage(last ? this.contentSent : undefined));
    return { text: `data: ${JSON.stringify(body)}\r\n\r\n`, last };
  }

  private advance(): void {
    const writeAll = this.tpotMs <= 0;
    let out = '';
    do {
      const next = this.checkFault(out);
      if (next === undefined) return;
      const { text, last } = this.event(this.step);
      out = next + text;
      this.step += 1;
      if (last) break;
    } while (writeAll);
    if (this.step < this.steps) {
      this.res.write(out);
      if (this.timer && this.step > 1) this.timer.refresh();
      else this.timer = setTimeout(this.onTick, this.tpotMs);
      return;
    }
    this.release();
    this.end(out);
  }

  /** Before the next event: applies the chunk fault once its moment has come; undefined when the stream stops. */
  private checkFault(out: string): string | undefined {
    const fault = this.chunkFault;
    if (fault === undefined || this.contentSent < fault.after_chunks) return out;
    this.chunkFault = undefined;
    switch (fault.type) {
      case 'malformed':
        return out + MALFORMED_EVENT;
      case 'cut':
        this.cut(out);
        return undefined;
      case 'stall':
        if (out !== '') this.res.write(out);
        return undefined;
      case 'mid_stream_error':
        this.release();
        this.end(
          `${out}data: ${JSON.stringify(googleError(500, fault.message ?? 'An internal error has occurred while generating the answer.'))}\r\n\r\n`,
        );
        return undefined;
    }
  }
}
