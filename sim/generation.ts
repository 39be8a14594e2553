/**
 * One chat or legacy completion being generated: waits for a slot, then answers after the time to
 * first token, streaming one step per `tpotMs` (one piece per choice) or sending the whole body at
 * the end. One timer per request, re-armed with `refresh()`, drives a stream; with `tpotMs` 0 every
 * step goes out in one write. Stream faults (cut, stall, malformed, mid-stream error, no [DONE],
 * keep-alive comments, slow first token) are applied here as the steps are written.
 *
 * With an engine model (a vllm simulator with `engine`, sim/engine/), the Generation is the engine's
 * request instead: no timers of its own, the engine calls onToken at the end of each step that made
 * a token (one step of the answer is written) and onFinish at the end (a non-stream body goes out).
 */
import type { ServerResponse } from 'node:http';
import { completionTokens, planAnswer, stepCount, type ChoicePlan } from './answer.js';
import { hashNumber } from './random.js';
import { blockHashes, tokenCount } from './engine/tokens.js';
import type { EngineHandle, EngineRequest } from './engine/types.js';
import type { SimContext } from './context.js';
import { Exchange } from './exchange.js';
import type { Fault } from './faults.js';
import type { CompletionRequest } from './request.js';
import { chatBody, ChunkFormatter, completionBody, dataEvent, DONE_EVENT, KEEPALIVE_COMMENT, MALFORMED_EVENT } from './responses.js';
import type { Sequence } from './scheduler.js';

const DIVERGE_SALT = 0x9e3779b9;

/** Faults that strike once a number of content chunks has gone out. */
type ChunkFault = Extract<Fault, { after_chunks: number }>;

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

export class Generation extends Exchange implements Sequence, EngineRequest {
  readonly promptTokens: number;
  /** Engine mode: the prompt's KV block hashes, and the tokens to generate (one per answer step). */
  readonly blockHashes: readonly number[] = [];
  readonly outputTokens: number;
  readonly plannedTokens: number;
  readonly firstTokenDelayMs: number;
  readonly tpotMs: number;
  admittedAt = 0;
  private readonly choices: ChoicePlan[];
  private readonly steps: number;
  private readonly id: string;
  private readonly created = Math.floor(Date.now() / 1000);
  /** The model the answer names: the one asked for, unless a drift fault names another. */
  private readonly reportedModel: string;
  private formatter: ChunkFormatter | undefined;
  private step = 0;
  private contentSent = 0;
  private chunkFault: ChunkFault | undefined;
  private keepalive = false;
  private omitDone = false;
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private bodySent = false;
  /** A stream fault stopped the writing (the engine may still call onToken). */
  private stopped = false;
  /** Engine mode: the engine's handle once submitted. */
  private handle: EngineHandle | undefined;

  constructor(
    sim: SimContext,
    res: ServerResponse,
    private readonly request: CompletionRequest,
    private readonly fault: Fault | undefined,
  ) {
    super(sim, res);
    // A diverging answer is the one another prompt would get: same shape, other words.
    const planned = fault?.type === 'diverge' ? { ...request, promptHash: hashNumber(DIVERGE_SALT, request.promptHash) } : request;
    this.choices = planAnswer(planned, sim.options.outputTokens, sim.ids);
    this.steps = Math.max(1, stepCount(this.choices));
    if (sim.engine) {
      const text = request.promptText ?? '';
      this.promptTokens = Math.max(1, tokenCount(text));
      this.blockHashes = blockHashes(text, sim.engine.kv.blockSize);
    } else this.promptTokens = request.promptTokens;
    this.outputTokens = this.steps;
    this.plannedTokens = completionTokens(this.choices);
    this.tpotMs = sim.options.tpotMs;
    this.firstTokenDelayMs = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
    this.id = sim.nextId(request.operation === 'chat' ? 'chatcmpl-' : 'cmpl-');
    if (fault && 'after_chunks' in fault) this.chunkFault = fault;
    this.keepalive = fault?.type === 'keepalive_comments';
    this.omitDone = fault?.type === 'no_done';
    this.reportedModel = fault?.type === 'drift' ? fault.model : request.model;
  }

  start(): void {
    if (this.leadingFault(this.fault)) return;
    if (this.request.stream) this.res.writeHead(200, { ...this.baseHeaders(), ...SSE_HEADERS });
    if (this.sim.engine) this.submit();
    else this.sim.scheduler.enqueue(this);
    // Stream headers go out at once, as vLLM's and OpenAI's servers send them, unless a first step
    // already went with them (no delay at all: one write instead of two) or a fault ended the response.
    if (this.request.stream && this.step === 0 && !this.settled && !this.res.destroyed) this.res.flushHeaders();
  }

  /** The scheduler gave this sequence a slot. */
  admit(): void {
    if (!this.request.stream) {
      const delay = this.firstTokenDelayMs + (this.steps - 1) * this.tpotMs;
      if (delay <= 0) this.onBodyDue();
      else this.timer = setTimeout(this.onBodyDue, delay);
      return;
    }
    this.formatter = this.newFormatter();
    if (this.firstTokenDelayMs <= 0) this.advance();
    else this.timer = setTimeout(this.onTick, this.firstTokenDelayMs);
  }

  /** Engine mode: hands the request to the engine (after a slow_first_token fault's delay). */
  private submit(): void {
    const engine = this.sim.engine!;
    if (this.request.stream) this.formatter = this.newFormatter();
    const extra = this.fault?.type === 'slow_first_token' ? this.fault.delay_ms : 0;
    if (extra <= 0) this.handle = engine.submit(this);
    else
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.res.destroyed && !this.released) this.handle = engine.submit(this);
      }, extra);
  }

  /** Engine mode: token `index` was produced; a stream writes the answer's next step. */
  onToken(_index: number): void {
    if (!this.request.stream || this.stopped || this.released || this.res.destroyed) return;
    this.advance();
  }

  /** Engine mode: the last token was produced; a non-stream answer goes out. */
  onFinish(): void {
    this.handle = undefined;
    if (!this.request.stream) this.onBodyDue();
  }

  private newFormatter(): ChunkFormatter {
    return new ChunkFormatter(this.sim.flavor, this.request.operation, this.id, this.created, this.reportedModel);
  }

  protected override closed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    if (this.sim.engine) {
      // The engine counts what it generated itself; a request still in it leaves it.
      this.handle?.abort();
      this.handle = undefined;
      return;
    }
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
    this.json(200, this.body(), undefined, this.fault);
  };

  private readonly onTick = (): void => {
    if (!this.res.destroyed) this.advance();
  };

  private body(): Record<string, unknown> {
    const usage = this.sim.flavor.usage(this.promptTokens, this.plannedTokens);
    const envelope = { id: this.id, created: this.created, model: this.reportedModel };
    return this.request.operation === 'chat'
      ? chatBody(this.sim.flavor, envelope, this.choices, usage)
      : completionBody(this.sim.flavor, envelope, this.choices, usage);
  }

  /** Writes the next step (every remaining step when tpotMs is 0) and re-arms the timer. */
  private advance(): void {
    const formatter = this.formatter!;
    const writeAll = this.tpotMs <= 0 && this.sim.engine === undefined;
    let out = '';
    do {
      if (this.step === 0) {
        // The role chunk goes out with the first token: a fault at 0 chunks strikes before anything.
        const next = this.checkFault(out);
        if (next === undefined) return;
        out = next;
        for (const choice of this.choices) out += formatter.role(choice);
      } else if (this.keepalive) out += KEEPALIVE_COMMENT;
      for (const choice of this.choices) {
        const length = choice.pieces.length;
        if (this.step < length) {
          const next = this.checkFault(out);
          if (next === undefined) return;
          out = next;
          out += formatter.piece(choice, this.step);
          this.contentSent += 1;
        }
        if (this.step === Math.max(length, 1) - 1) {
          const next = this.checkFault(out);
          if (next === undefined) return;
          out = next;
          out += formatter.finish(choice);
        }
      }
      this.step += 1;
    } while (writeAll && this.step < this.steps);
    if (this.step < this.steps) {
      this.res.write(out);
      if (this.sim.engine === undefined) this.armTick();
      return;
    }
    if (this.request.includeUsage) out += formatter.usage(this.sim.flavor.usage(this.promptTokens, this.contentSent));
    if (!this.omitDone) out += DONE_EVENT;
    this.release();
    this.end(out);
  }

  private armTick(): void {
    // After the first token the delay is always tpotMs: one Timeout, re-armed, instead of one per token.
    if (this.timer && this.step > 1) this.timer.refresh();
    else this.timer = setTimeout(this.onTick, this.tpotMs);
  }

  /**
   * Before a chunk is added to `out`: applies the chunk fault if its moment has come. Returns the
   * text to go on with, or undefined when the stream stops here.
   */
  private checkFault(out: string): string | undefined {
    const fault = this.chunkFault;
    if (fault === undefined || this.contentSent < fault.after_chunks) return out;
    this.chunkFault = undefined;
    if (fault.type !== 'malformed') this.stopped = true;
    switch (fault.type) {
      case 'malformed':
        return out + MALFORMED_EVENT;
      case 'cut':
        this.cut(out);
        return undefined;
      case 'stall':
        // Silent from here on, connection open: only the client (or close()) ends it.
        if (out !== '') this.res.write(out);
        return undefined;
      case 'mid_stream_error':
        this.release();
        this.end(
          out + dataEvent(this.sim.flavor.errorBody(500, { message: fault.message ?? 'The engine failed while generating the answer.' })),
        );
        return undefined;
    }
  }
}
