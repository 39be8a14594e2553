/**
 * One Converse answer being generated, on the shared plan, scheduler and faults: the whole Converse
 * body after the answer's time, or ConverseStream's binary frames, one piece per step: `messageStart`,
 * a `contentBlockDelta` per piece (text, or a tool's input fragments after its `contentBlockStart`),
 * `contentBlockStop`, `messageStop` (the stop reason) and `metadata` (usage, latency). Faults in
 * Bedrock's own forms: a mid-stream error is a `modelStreamErrorException` frame inside the 200,
 * `malformed` a frame whose payload is not JSON, `no_done` drops the closing `metadata`; cut, stall,
 * a slow first token and diverge work as for the OpenAI kinds. Keep-alive comments have no
 * counterpart in event-stream framing, and drift none either (Bedrock never names the answering
 * model): both are accepted and change nothing.
 */
import type { ServerResponse } from 'node:http';
import { planAnswer, type ChoicePlan } from '../../answer.js';
import type { SimContext } from '../../context.js';
import type { Fault } from '../../faults.js';
import { hashNumber } from '../../random.js';
import type { CompletionRequest } from '../../request.js';
import type { Sequence } from '../../scheduler.js';
import { BedrockExchange } from './exchange.js';
import { converseBody, eventFrame, exceptionFrame, malformedFrame, pieceFrames, stopReasonOf, usageOf } from './frames.js';

const DIVERGE_SALT = 0x9e3779b9;
const STREAM_HEADERS = { 'content-type': 'application/vnd.amazon.eventstream' };

type ChunkFault = Extract<Fault, { after_chunks: number }>;

export class BedrockGeneration extends BedrockExchange implements Sequence {
  readonly promptTokens: number;
  readonly plannedTokens: number;
  readonly firstTokenDelayMs: number;
  readonly tpotMs: number;
  admittedAt = 0;
  private readonly choice: ChoicePlan;
  private readonly steps: number;
  private readonly startedAt = Date.now();
  private step = 0;
  private contentSent = 0;
  private chunkFault: ChunkFault | undefined;
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    sim: SimContext,
    res: ServerResponse,
    private readonly request: CompletionRequest,
    private readonly fault: Fault | undefined,
  ) {
    super(sim, res);
    const planned = fault?.type === 'diverge' ? { ...request, promptHash: hashNumber(DIVERGE_SALT, request.promptHash) } : request;
    this.choice = planAnswer({ ...planned, n: 1 }, sim.options.outputTokens, sim.ids)[0]!;
    this.steps = Math.max(1, this.choice.pieces.length);
    this.promptTokens = request.promptTokens;
    this.plannedTokens = this.choice.pieces.length;
    this.tpotMs = sim.options.tpotMs;
    this.firstTokenDelayMs = sim.options.ttftMs + (fault?.type === 'slow_first_token' ? fault.delay_ms : 0);
    if (fault && 'after_chunks' in fault) this.chunkFault = fault;
  }

  start(): void {
    if (this.leadingFault(this.fault)) return;
    if (this.request.stream) this.res.writeHead(200, { ...this.baseHeaders(), ...STREAM_HEADERS });
    this.sim.scheduler.enqueue(this);
    if (this.request.stream && this.step === 0 && !this.settled && !this.res.destroyed) this.res.flushHeaders();
  }

  admit(): void {
    const delay = this.request.stream ? this.firstTokenDelayMs : this.firstTokenDelayMs + (this.steps - 1) * this.tpotMs;
    if (delay <= 0) this.onTick();
    else this.timer = setTimeout(this.onTick, delay);
  }

  protected override closed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.release(this.contentSent);
  }

  private release(generated: number): void {
    if (this.released) return;
    this.released = true;
    this.sim.scheduler.release(this, generated);
  }

  private readonly onTick = (): void => {
    if (this.res.destroyed) return;
    if (!this.request.stream) {
      this.release(this.plannedTokens);
      const body = converseBody(this.choice, usageOf(this.promptTokens, this.plannedTokens), Date.now() - this.startedAt);
      this.json(200, body, undefined, this.fault);
      return;
    }
    this.advance();
  };

  /** Writes the next step (every remaining step when tpotMs is 0) and re-arms the timer. */
  private advance(): void {
    const writeAll = this.tpotMs <= 0;
    const length = this.choice.pieces.length;
    let out: Buffer[] = [];
    do {
      let next = this.checkFault(out);
      if (next === undefined) return;
      out = next;
      if (this.step === 0) out.push(eventFrame('messageStart', { role: 'assistant' }));
      if (this.step < length) {
        out.push(...pieceFrames(this.choice, this.step));
        this.contentSent += 1;
      }
      if (this.step === this.steps - 1) {
        next = this.checkFault(out);
        if (next === undefined) return;
        out = next;
        out.push(
          eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
          eventFrame('messageStop', { stopReason: stopReasonOf(this.choice) }),
        );
      }
      this.step += 1;
    } while (writeAll && this.step < this.steps);
    if (this.step < this.steps) {
      this.res.write(Buffer.concat(out));
      if (this.timer && this.step > 1) this.timer.refresh();
      else this.timer = setTimeout(this.onTick, this.tpotMs);
      return;
    }
    if (this.fault?.type !== 'no_done') {
      const usage = usageOf(this.promptTokens, this.contentSent);
      out.push(eventFrame('metadata', { usage, metrics: { latencyMs: Date.now() - this.startedAt } }));
    }
    this.release(this.contentSent);
    this.settled = true;
    this.res.end(Buffer.concat(out));
  }

  /** Before a piece goes out: the chunk fault, if its moment has come; undefined when the stream stops. */
  private checkFault(out: Buffer[]): Buffer[] | undefined {
    const fault = this.chunkFault;
    if (fault === undefined || this.contentSent < fault.after_chunks) return out;
    this.chunkFault = undefined;
    switch (fault.type) {
      case 'malformed':
        return [...out, malformedFrame()];
      case 'cut':
        this.cut(Buffer.concat(out));
        return undefined;
      case 'stall':
        if (out.length > 0) this.res.write(Buffer.concat(out));
        return undefined;
      case 'mid_stream_error': {
        this.release(this.contentSent);
        const message = fault.message ?? 'The model stream failed while generating the answer.';
        this.settled = true;
        this.res.end(
          Buffer.concat([
            ...out,
            exceptionFrame('modelStreamErrorException', { message, originalStatusCode: 500, originalMessage: message }),
          ]),
        );
        return undefined;
      }
    }
  }
}
