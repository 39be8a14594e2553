/**
 * Builds one non-stream OpenAI response from the OpenAI chunks of a streamed answer (for routes with
 * `stream_upstream: true`, which stream from the upstream even when the client did not ask, so that
 * first-token and idle timeouts and mid-answer continuation protect non-stream requests too).
 * Content and tool-call arguments are concatenated per choice and index; usage comes from the usage
 * chunk; fields only non-stream responses carry are not available this way.
 */
interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

interface Choice {
  content: string;
  hasContent: boolean;
  refusal: string | null;
  reasoning: string | undefined;
  toolCalls: Map<number, ToolCall>;
  finishReason: string | null;
  logprobs: unknown[] | null;
}

interface Delta {
  content?: unknown;
  refusal?: unknown;
  reasoning_content?: unknown;
  tool_calls?: Array<{ index?: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }>;
}

interface StreamChunk {
  id?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  usage?: unknown;
  choices?: Array<{
    index?: number;
    delta?: Delta;
    text?: string;
    finish_reason?: string | null;
    logprobs?: { content?: unknown[] } | null;
  }>;
}

export class ChunkAggregator {
  private readonly choices = new Map<number, Choice>();
  private envelope: StreamChunk = {};
  private usage: unknown;

  constructor(private readonly operation: 'chat' | 'completions') {}

  add(json: string): void {
    const chunk = JSON.parse(json) as StreamChunk;
    if (this.envelope.id === undefined) this.envelope = { id: chunk.id, created: chunk.created, model: chunk.model };
    if (chunk.system_fingerprint !== undefined) this.envelope.system_fingerprint = chunk.system_fingerprint;
    if (chunk.service_tier !== undefined) this.envelope.service_tier = chunk.service_tier;
    if (chunk.usage) this.usage = chunk.usage;
    for (const c of chunk.choices ?? []) {
      const index = c.index ?? 0;
      let choice = this.choices.get(index);
      if (!choice) {
        choice = {
          content: '',
          hasContent: false,
          refusal: null,
          reasoning: undefined,
          toolCalls: new Map(),
          finishReason: null,
          logprobs: null,
        };
        this.choices.set(index, choice);
      }
      const text = this.operation === 'chat' ? c.delta?.content : c.text;
      if (typeof text === 'string') {
        choice.content += text;
        choice.hasContent = true;
      }
      if (typeof c.delta?.refusal === 'string') choice.refusal = (choice.refusal ?? '') + c.delta.refusal;
      if (typeof c.delta?.reasoning_content === 'string') choice.reasoning = (choice.reasoning ?? '') + c.delta.reasoning_content;
      for (const call of c.delta?.tool_calls ?? []) {
        const at = call.index ?? 0;
        const known = choice.toolCalls.get(at) ?? { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (call.id) known.id = call.id;
        if (call.type) known.type = call.type;
        if (call.function?.name) known.function.name += call.function.name;
        if (call.function?.arguments) known.function.arguments += call.function.arguments;
        choice.toolCalls.set(at, known);
      }
      if (Array.isArray(c.logprobs?.content)) choice.logprobs = [...(choice.logprobs ?? []), ...c.logprobs.content];
      if (c.finish_reason) choice.finishReason = c.finish_reason;
    }
  }

  /** The response's JSON text. */
  result(): string {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => {
        if (this.operation === 'completions') return { index, text: c.content, logprobs: null, finish_reason: c.finishReason ?? 'stop' };
        const toolCalls = [...c.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
        const message: Record<string, unknown> = {
          role: 'assistant',
          content: c.hasContent && (c.content !== '' || toolCalls.length === 0) ? c.content : null,
          refusal: c.refusal,
        };
        if (c.reasoning !== undefined) message.reasoning_content = c.reasoning;
        if (toolCalls.length > 0) message.tool_calls = toolCalls;
        return {
          index,
          message,
          logprobs: c.logprobs ? { content: c.logprobs, refusal: null } : null,
          finish_reason: c.finishReason ?? 'stop',
        };
      });
    const { id, created, model, system_fingerprint, service_tier } = this.envelope;
    return JSON.stringify({
      id,
      object: this.operation === 'chat' ? 'chat.completion' : 'text_completion',
      created,
      model,
      choices,
      ...(this.usage ? { usage: this.usage } : {}),
      ...(system_fingerprint !== undefined ? { system_fingerprint } : {}),
      ...(service_tier !== undefined ? { service_tier } : {}),
    });
  }
}
