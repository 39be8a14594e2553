/**
 * A simulated Responses API answer on the wire: a Response object, or the stream of typed events
 * OpenAI sends (response.created, response.in_progress, output_item.added, content_part.added, one
 * output_text.delta per token, the closing .done events, response.completed), each with its
 * `sequence_number`. Function calls stream as a function_call item with argument deltas. The answer
 * is planned as a chat answer (sim/answer.ts), so it is the same streamed or not; timing (time to
 * first token, one delta per tpotMs) and faults (error, hang, reset, slow first token, cut, stall,
 * mid-stream error, which is an `error` event here) follow the chat generation's rules.
 */
import type { ServerResponse } from 'node:http';
import { completionTokens, planAnswer, type ChoicePlan } from './answer.js';
import type { SimContext } from './context.js';
import { Exchange } from './exchange.js';
import type { Fault } from './faults.js';
import { isRecord, type CompletionRequest } from './request.js';

type Body = Record<string, unknown>;

/** A kept answer: its id and the conversation it ends, as chat messages (for previous_response_id). */
export interface StoredResponse {
  id: string;
  messages: Body[];
  /** The Response object as it was answered (GET /v1/responses/{id}). */
  response: Body;
}

interface StreamEvent {
  type: string;
  fields: Body;
  /** One token of the answer: the unit faults and timing count. */
  content: boolean;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/** Function tools echoed as OpenAI does: every member present, `strict` true unless set. */
function echoTools(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t: unknown) =>
    isRecord(t) && t['type'] === 'function'
      ? {
          type: 'function',
          name: t['name'],
          description: t['description'] ?? null,
          parameters: t['parameters'] ?? null,
          strict: t['strict'] ?? true,
        }
      : t,
  );
}

export class ResponsesGeneration extends Exchange {
  private readonly plan: ChoicePlan;
  private readonly id: string;
  private readonly itemId: string;
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly events: StreamEvent[] = [];
  private next = 0;
  private contentSent = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    sim: SimContext,
    res: ServerResponse,
    private readonly request: CompletionRequest,
    private readonly body: Body,
    private readonly fault: Fault | undefined,
    private readonly onDone: (stored: StoredResponse) => void,
  ) {
    super(sim, res);
    this.plan = planAnswer(request, sim.options.outputTokens, sim.ids)[0]!;
    this.id = sim.nextId('resp_');
    this.itemId = sim.nextId(this.plan.toolCall ? 'fc_' : 'msg_');
  }

  start(): void {
    if (this.leadingFault(this.fault)) return;
    const { ttftMs, tpotMs } = this.sim.options;
    const firstDelay = ttftMs + (this.fault?.type === 'slow_first_token' ? this.fault.delay_ms : 0);
    if (!this.request.stream) {
      const steps = Math.max(1, this.plan.pieces.length);
      this.timer = setTimeout(
        () => {
          if (this.res.destroyed) return;
          this.finished();
          this.json(200, this.response(this.status()), undefined, this.fault);
        },
        firstDelay + (steps - 1) * tpotMs,
      );
      return;
    }
    this.res.writeHead(200, { ...this.baseHeaders(), ...SSE_HEADERS });
    this.res.flushHeaders();
    this.buildEvents();
    this.timer = setTimeout(this.advance, firstDelay);
  }

  protected override closed(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private status(): 'completed' | 'incomplete' {
    return this.plan.finish === 'length' ? 'incomplete' : 'completed';
  }

  private item(status: 'in_progress' | 'completed' | 'incomplete', text: string): Body {
    const call = this.plan.toolCall;
    if (call) return { type: 'function_call', id: this.itemId, call_id: call.id, name: call.name, arguments: text, status };
    const content = status === 'in_progress' ? [] : [{ type: 'output_text', text, annotations: [], logprobs: [] }];
    return { type: 'message', id: this.itemId, status, role: 'assistant', content };
  }

  private response(status: 'in_progress' | 'completed' | 'incomplete'): Body {
    const body = this.body;
    const done = status !== 'in_progress';
    const text = this.plan.pieces.join('');
    const outputTokens = completionTokens([this.plan]);
    const response: Body = {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status,
      background: false,
      completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
      error: null,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: body['instructions'] ?? null,
      max_output_tokens: body['max_output_tokens'] ?? null,
      model: this.request.model,
      output: done ? [this.item(status, this.plan.toolCall ? this.plan.toolCall.arguments : text)] : [],
      parallel_tool_calls: body['parallel_tool_calls'] ?? true,
      previous_response_id: body['previous_response_id'] ?? null,
      reasoning: { effort: null, summary: null },
      store: body['store'] !== false,
      temperature: body['temperature'] ?? 1,
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: body['tool_choice'] ?? 'auto',
      tools: echoTools(body['tools']),
      top_p: body['top_p'] ?? 1,
      truncation: 'disabled',
      metadata: isRecord(body['metadata']) ? body['metadata'] : {},
    };
    if (done) {
      response['usage'] = {
        input_tokens: this.request.promptTokens,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: this.request.promptTokens + outputTokens,
      };
    }
    return response;
  }

  /** Keeps the answer for previous_response_id. */
  private finished(): void {
    const call = this.plan.toolCall;
    const message = call
      ? { role: 'assistant', content: '', tool_calls: [{ id: call.id, name: call.name, arguments: call.arguments }] }
      : { role: 'assistant', content: this.plan.pieces.join('') };
    this.onDone({ id: this.id, messages: [message], response: this.response(this.status()) });
  }

  private add(type: string, fields: Body, content = false): void {
    this.events.push({ type, fields, content });
  }

  private buildEvents(): void {
    const status = this.status();
    const call = this.plan.toolCall;
    const at = { item_id: this.itemId, output_index: 0 };
    this.add('response.created', { response: this.response('in_progress') });
    this.add('response.in_progress', { response: this.response('in_progress') });
    this.add('response.output_item.added', { output_index: 0, item: this.item('in_progress', '') });
    if (call) {
      for (const piece of this.plan.pieces)
        if (piece !== '') this.add('response.function_call_arguments.delta', { ...at, delta: piece }, true);
      this.add('response.function_call_arguments.done', { ...at, name: call.name, arguments: call.arguments });
      this.add('response.output_item.done', { output_index: 0, item: this.item('completed', call.arguments) });
    } else {
      const text = this.plan.pieces.join('');
      const part = { ...at, content_index: 0 };
      this.add('response.content_part.added', { ...part, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
      for (const piece of this.plan.pieces) this.add('response.output_text.delta', { ...part, delta: piece, logprobs: [] }, true);
      this.add('response.output_text.done', { ...part, text, logprobs: [] });
      this.add('response.content_part.done', { ...part, part: { type: 'output_text', text, annotations: [], logprobs: [] } });
      this.add('response.output_item.done', { output_index: 0, item: this.item(status, text) });
    }
    this.add(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: this.response(status) });
  }

  private frame(type: string, fields: Body, sequence: number): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence })}\n\n`;
  }

  /** Writes events up to and including the next token (all of them when tpotMs is 0), then re-arms. */
  private readonly advance = (): void => {
    if (this.res.destroyed) return;
    let out = '';
    const writeAll = this.sim.options.tpotMs <= 0;
    while (this.next < this.events.length) {
      const event = this.events[this.next]!;
      if (event.content && this.strike(out)) return;
      out += this.frame(event.type, event.fields, this.next);
      this.next += 1;
      if (event.content) {
        this.contentSent += 1;
        if (!writeAll) break;
      }
    }
    if (this.next < this.events.length) {
      this.res.write(out);
      this.timer = setTimeout(this.advance, this.sim.options.tpotMs);
      return;
    }
    this.finished();
    this.end(out);
  };

  /** A chunk fault whose moment has come, before a token; true when the stream stops here. */
  private strike(out: string): boolean {
    const fault = this.fault;
    if (fault === undefined || !('after_chunks' in fault) || this.contentSent < fault.after_chunks) return false;
    switch (fault.type) {
      case 'cut':
        this.cut(out);
        return true;
      case 'stall':
        if (out !== '') this.res.write(out);
        return true;
      case 'mid_stream_error': {
        const message = fault.message ?? 'The server had an error while processing your request.';
        // OpenAI's servers nest the error as well as stating it flat (as the spec has it).
        const nested = { type: 'server_error', code: 'server_error', message, param: null };
        const error = { code: 'server_error', message, param: null, error: nested };
        this.end(out + this.frame('error', error, this.next));
        return true;
      }
      default:
        return false;
    }
  }
}
