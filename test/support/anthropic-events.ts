/**
 * A checker for Anthropic Messages streams as a client receives them: every event's shape (the `event:`
 * name equals the JSON `type`, and each type's fields are there with the right types) and the sequence
 * grammar `message_start (content_block_start content_block_delta* content_block_stop)* message_delta
 * message_stop`, with `ping` allowed anywhere after the start and block indexes counting up from 0. An
 * `error` event may end a stream early (then no `message_stop` follows). Throws on the first problem.
 */

export interface AnthropicEvent {
  event: string;
  data: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invalid Anthropic stream: ${message}`);
}

/** Splits SSE text (`event: x\ndata: {...}\n\n`, LF only) into named events with parsed data. */
export function parseAnthropicSse(text: string): AnthropicEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      const parsed: unknown = JSON.parse(data.join('\n'));
      check(isObject(parsed), `data of ${event} is not an object`);
      return { event, data: parsed };
    });
}

function checkUsage(usage: unknown, where: string): void {
  check(isObject(usage), `${where}.usage is missing`);
  check(typeof usage['output_tokens'] === 'number', `${where}.usage.output_tokens is not a number`);
  for (const key of ['input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens']) {
    check(usage[key] === undefined || usage[key] === null || typeof usage[key] === 'number', `${where}.usage.${key} is not a number`);
  }
}

function checkShape({ event, data }: AnthropicEvent): void {
  check(data['type'] === event, `event ${event} carries data of type ${String(data['type'])}`);
  switch (event) {
    case 'message_start': {
      const m = data['message'];
      check(isObject(m), 'message_start.message is missing');
      check(typeof m['id'] === 'string' && m['type'] === 'message' && m['role'] === 'assistant', 'message_start.message envelope');
      check(typeof m['model'] === 'string' && Array.isArray(m['content']), 'message_start.message model/content');
      checkUsage(m['usage'], 'message_start.message');
      check(typeof (m['usage'] as Record<string, unknown>)['input_tokens'] === 'number', 'message_start usage.input_tokens');
      return;
    }
    case 'content_block_start': {
      const b = data['content_block'];
      check(typeof data['index'] === 'number' && isObject(b), 'content_block_start needs index and content_block');
      if (b['type'] === 'text') check(typeof b['text'] === 'string', 'text block without text');
      else if (b['type'] === 'tool_use')
        check(typeof b['id'] === 'string' && typeof b['name'] === 'string' && isObject(b['input']), 'tool_use block');
      return;
    }
    case 'content_block_delta': {
      const d = data['delta'];
      check(typeof data['index'] === 'number' && isObject(d), 'content_block_delta needs index and delta');
      if (d['type'] === 'text_delta') check(typeof d['text'] === 'string', 'text_delta without text');
      else if (d['type'] === 'input_json_delta') check(typeof d['partial_json'] === 'string', 'input_json_delta without partial_json');
      return;
    }
    case 'content_block_stop':
      check(typeof data['index'] === 'number', 'content_block_stop needs index');
      return;
    case 'message_delta': {
      const d = data['delta'];
      check(isObject(d) && typeof d['stop_reason'] === 'string', 'message_delta.delta.stop_reason');
      check(d['stop_sequence'] === null || typeof d['stop_sequence'] === 'string', 'message_delta.delta.stop_sequence');
      checkUsage(data['usage'], 'message_delta');
      return;
    }
    case 'error': {
      const e = data['error'];
      check(isObject(e) && typeof e['type'] === 'string' && typeof e['message'] === 'string', 'error.error {type, message}');
      return;
    }
    case 'message_stop':
    case 'ping':
      return;
    default:
      throw new Error(`invalid Anthropic stream: unknown event ${event}`);
  }
}

/** Checks every event and the sequence; returns the events without pings, for further assertions. */
export function validateAnthropicEvents(events: readonly AnthropicEvent[]): AnthropicEvent[] {
  events.forEach(checkShape);
  const seq = events.filter((e) => e.event !== 'ping');
  check(seq[0]?.event === 'message_start', `the stream starts with ${seq[0]?.event ?? 'nothing'}, not message_start`);
  let i = 1;
  let nextIndex = 0;
  while (seq[i]?.event === 'content_block_start') {
    const index = seq[i]!.data['index'];
    check(index === nextIndex, `content block ${String(index)} started where ${nextIndex} was due`);
    const block = seq[i]!.data['content_block'] as Record<string, unknown>;
    i++;
    while (seq[i]?.event === 'content_block_delta') {
      check(seq[i]!.data['index'] === index, `a delta for block ${String(seq[i]!.data['index'])} inside block ${String(index)}`);
      const delta = seq[i]!.data['delta'] as Record<string, unknown>;
      const expected = block['type'] === 'tool_use' ? 'input_json_delta' : block['type'] === 'text' ? 'text_delta' : delta['type'];
      check(delta['type'] === expected, `a ${String(delta['type'])} in a ${String(block['type'])} block`);
      i++;
    }
    if (seq[i]?.event === 'error' && i === seq.length - 1) return seq;
    check(
      seq[i]?.event === 'content_block_stop' && seq[i]!.data['index'] === index,
      `block ${String(index)} not stopped (got ${seq[i]?.event})`,
    );
    i++;
    nextIndex++;
  }
  if (seq[i]?.event === 'error' && i === seq.length - 1) return seq;
  check(seq[i]?.event === 'message_delta', `expected message_delta, got ${seq[i]?.event ?? 'the end'}`);
  check(seq[i + 1]?.event === 'message_stop', `expected message_stop, got ${seq[i + 1]?.event ?? 'the end'}`);
  check(
    seq.length === i + 2,
    `events after message_stop: ${seq
      .slice(i + 2)
      .map((e) => e.event)
      .join(', ')}`,
  );
  return seq;
}
