/**
 * One Anthropic answer being generated, on the shared plan, scheduler and faults: the whole `Message`
 * after the answer's time, or the named SSE events, one piece per step: `message_start`, `ping`,
 * `content_block_start`, a `content_block_delta` per piece (text, or a tool's `input_json_delta`
 * fragments), `content_block_stop`, `message_delta` (stop reason, cumulative output tokens) and
 * `message_stop`; no `[DONE]`. Faults map to Anthropic's own forms: a mid-stream error is an
 * `event: error` with `overloaded_error` (what Anthropic sends when it gives up mid-answer), keep-alive
 * comments are `ping` events, `no_done` drops `message_stop`; cut, stall, malformed, a slow first
 * token and drift work as for the OpenAI kinds. Prompt caching is simulated: the prompt up to its last
 * `cache_control` breakpoint is a cache write the first time and a cache read afterwards.
 */
import type { ServerResponse } from 'node:http';
import { planAnswer, type ChoicePlan } from '../../answer.js';
import type { SimContext } from '../../context.js';
import type { Fault } from '../../faults.js';
import { hashNumber } from '../../random.js';
import type { Sequence } from '../../scheduler.js';
import { AnthropicExchange } from './exchange.js';
import type { MessagesRequest } from './request.js';
import { EventFormatter, MALFORMED_EVENT, messageBody, PING_EVENT, sseEvent, type UsageCounts } from './responses.js';

const DIVERGE_SALT = 0x9e3779b9;
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

type ChunkFault = Extract<Fault, { after_chunks: number }>;

/** Prompt prefixes already written to the simulated cache, per simulator. */
const cachedPrefixes = new WeakMap<SimContext, Set<number>>();

export class AnthropicGeneration extends AnthropicExchange implements Sequence {
  readonly promptTokens: number;
  readonly plannedTokens: number;
  readonly firstTokenDelayMs: number;
  readonly tpotMs: number;
  admittedAt = 0;
  private readonly choice: ChoicePlan;
  private readonly steps: number;
  private readonly usageCounts: UsageCounts;
  private readonly envelope: { id: string; model: string };
  private readonly formatter: EventFormatter;
  private step = 0;
  private contentSent = 0;
  private chunkFault: ChunkFault | undefined;
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    sim: SimContext,
    res: ServerResponse,
    private readonly request: MessagesRequest,
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
    this.usageCounts = this.cacheUsage(sim);
    const model = fault?.type === 'drift' ? fault.model : request.model;
    this.envelope = { id: sim.nextId('msg_'), model };
    this.formatter = new EventFormatter(this.envelope, this.choice);
  }

  start(): void {
    if (this.leadingFault(this.fault)) return;
    if (this.request.stream) this.res.writeHead(200, { ...this.baseHeaders(), ...SSE_HEADERS });
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

  /** Input counts: the cacheable prefix is written on first sight, read afterwards; the rest is input. */
  private cacheUsage(sim: SimContext): UsageCounts {
    const cached = this.request.cacheablePrefixTokens;
    let seen = cachedPrefixes.get(sim);
    if (seen === undefined) cachedPrefixes.set(sim, (seen = new Set()));
    const read = cached > 0 && seen.has(this.request.cacheablePrefixHash);
    if (cached > 0) seen.add(this.request.cacheablePrefixHash);
    return {
      input_tokens: this.promptTokens - cached,
      cache_creation_input_tokens: read ? 0 : cached,
      cache_read_input_tokens: read ? cached : 0,
      output_tokens: 0,
    };
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
      const body = messageBody(this.envelope, this.choice, { ...this.usageCounts, output_tokens: this.plannedTokens });
      this.json(200, body, undefined, this.fault);
      return;
    }
    this.advance();
  };

  /** Writes the next step (every remaining step when tpotMs is 0) and re-arms the timer. */
  private advance(): void {
    const writeAll = this.tpotMs <= 0;
    const length = this.choice.pieces.length;
    let out = '';
    do {
      let next = this.checkFault(out);
      if (next === undefined) return;
      out = next;
      if (this.step === 0) out += this.formatter.start({ ...this.usageCounts, output_tokens: 1 });
      else if (this.fault?.type === 'keepalive_comments') out += PING_EVENT;
      if (this.step < length) {
        out += this.formatter.piece(this.step);
        this.contentSent += 1;
      }
      if (this.step === this.steps - 1) {
        next = this.checkFault(out);
        if (next === undefined) return;
        out = next + this.formatter.finish(this.contentSent);
      }
      this.step += 1;
    } while (writeAll && this.step < this.steps);
    if (this.step < this.steps) {
      this.res.write(out);
      if (this.timer && this.step > 1) this.timer.refresh();
      else this.timer = setTimeout(this.onTick, this.tpotMs);
      return;
    }
    if (this.fault?.type !== 'no_done') out += this.formatter.stop();
    this.release(this.contentSent);
    this.end(out);
  }

  /** Before a piece goes into `out`: the chunk fault, if its moment has come; undefined when the stream stops. */
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
        this.release(this.contentSent);
        this.end(out + sseEvent({ type: 'error', error: { type: 'overloaded_error', message: fault.message ?? 'Overloaded' } }));
        return undefined;
    }
  }
}
