import { describe, expect, it } from 'vitest';
import { OpenAICompatibleStreamTranslator } from '../../../adapters/openai-compatible/stream.js';
import type { ClientRequest, StreamOutput, UpstreamTarget } from '../../../adapters/types.js';

const target: UpstreamTarget = { deploymentId: 'd', model: 'served', provider: { id: 'p', type: 'vllm', headers: {} } };

function translator(includeUsage = false, operation: ClientRequest['operation'] = 'chat'): OpenAICompatibleStreamTranslator {
  const body = { model: 'route', stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) };
  return new OpenAICompatibleStreamTranslator(
    { operation, body, raw: Buffer.from(JSON.stringify(body)), stream: true, includeUsage },
    target,
  );
}

const enc = new TextEncoder();
const event = (data: unknown): Uint8Array => enc.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
const chunk = (choices: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 7,
  model: 'm',
  choices,
  ...extra,
});
const choice = (delta: unknown, finish: string | null = null, index = 0): Record<string, unknown> => ({
  index,
  delta,
  finish_reason: finish,
});
const chunks = (out: StreamOutput[]): Array<Record<string, unknown>> =>
  out.flatMap((o) => (o.type === 'chunk' ? [JSON.parse(o.data) as Record<string, unknown>] : []));
const types = (out: StreamOutput[]): string[] => out.map((o) => o.type);

describe('OpenAICompatibleStreamTranslator', () => {
  it('is not started before the first chunk and is after it', () => {
    const t = translator();
    expect(t.push(enc.encode(': keep-alive\n\n'))).toEqual([]);
    expect(t.started).toBe(false);
    t.push(event(chunk([choice({ role: 'assistant', content: 'a' })])));
    expect(t.started).toBe(true);
  });

  it('adds role to the first delta of each choice, interleaved n>1', () => {
    const t = translator();
    const out = t.push(
      new Uint8Array([
        ...event(chunk([choice({ content: 'a' }, null, 0)])),
        ...event(chunk([choice({ content: 'b' }, null, 1)])),
        ...event(chunk([choice({ content: 'c' }, null, 0)])),
      ]),
    );
    expect(chunks(out).map((c) => (c['choices'] as Array<{ delta: Record<string, unknown> }>)[0]!.delta)).toEqual([
      { role: 'assistant', content: 'a' },
      { role: 'assistant', content: 'b' },
      { content: 'c' },
    ]);
  });

  it('forwards an unchanged chunk as the exact upstream text', () => {
    const text =
      '{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"x"},"finish_reason":null}]}';
    expect(translator().push(enc.encode(`data: ${text}\n\n`))).toEqual([{ type: 'chunk', data: text }]);
  });

  it('ends with an error when [DONE] comes without any answer', () => {
    const out = translator().push(enc.encode('data: [DONE]\n\n'));
    expect(out).toEqual([{ type: 'error', error: expect.objectContaining({ kind: 'server' }) as unknown }]);
  });

  it('closes a choice the server never finished when it says [DONE]', () => {
    const t = translator();
    t.push(event(chunk([choice({ role: 'assistant', content: 'a' })])));
    const out = t.push(enc.encode('data: [DONE]\n\n'));
    expect(types(out)).toEqual(['chunk', 'done']);
    expect(chunks(out)[0]).toEqual({
      id: 'c1',
      object: 'chat.completion.chunk',
      created: 7,
      model: 'm',
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
    });
  });

  it('ignores everything after done, and end() after done yields nothing', () => {
    const t = translator();
    t.push(event(chunk([choice({ role: 'assistant', content: 'a' }, 'stop')])));
    expect(types(t.push(enc.encode('data: [DONE]\n\n')))).toEqual(['done']);
    expect(t.push(event(chunk([choice({ content: 'late' })])))).toEqual([]);
    expect(t.end()).toEqual([]);
  });

  it('ignores everything after an error', () => {
    const t = translator();
    expect(types(t.push(event({ error: 'boom' })))).toEqual(['error']);
    expect(t.push(event(chunk([choice({ content: 'late' })])))).toEqual([]);
    expect(t.end()).toEqual([]);
  });

  it('treats an `event: error` frame as an error even without an error key', () => {
    const out = translator().push(enc.encode('event: error\ndata: {"message":"overloaded","code":503}\n\n'));
    expect(out).toEqual([{ type: 'error', error: expect.objectContaining({ kind: 'overloaded', message: 'overloaded' }) as unknown }]);
  });

  it('errors when the body ends with no chunk at all', () => {
    expect(translator().end()).toEqual([{ type: 'error', error: expect.objectContaining({ kind: 'connection' }) as unknown }]);
  });

  it('keeps one finish_reason per choice and maps unknown ones to stop', () => {
    const t = translator();
    const out = t.push(
      new Uint8Array([...event(chunk([choice({ role: 'assistant' }, 'eos_token')])), ...event(chunk([choice({}, 'stop')]))]),
    );
    expect(chunks(out).map((c) => (c['choices'] as Array<{ finish_reason: unknown }>)[0]!.finish_reason)).toEqual(['stop', null]);
  });

  it('records usage but forwards the usage-only chunk only to a client that asked', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 };
    const quiet = translator(false);
    quiet.push(event(chunk([choice({ role: 'assistant', content: 'a' }, 'stop')])));
    expect(quiet.push(event(chunk([], { usage })))).toEqual([]);
    expect(quiet.usage).toEqual({ promptTokens: 3, completionTokens: 1, totalTokens: 4 });
    const asked = translator(true);
    asked.push(event(chunk([choice({ role: 'assistant', content: 'a' }, 'stop')])));
    expect(asked.push(event(chunk([], { usage })))).toEqual([]); // held until the end
    const end = asked.push(enc.encode('data: [DONE]\n\n'));
    expect(types(end)).toEqual(['chunk', 'done']);
    expect(chunks(end)[0]!['usage']).toEqual(usage);
  });

  it('sends the usage chunk after the finish chunk even when the upstream sent it earlier', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 };
    const t = translator(true);
    const out = t.push(
      new Uint8Array([
        ...event(chunk([choice({ role: 'assistant', content: 'a' })])),
        ...event(chunk([], { usage })),
        ...event(chunk([choice({}, 'stop')])),
        ...enc.encode('data: [DONE]\n\n'),
      ]),
    );
    expect(chunks(out).map((c) => (c['choices'] as unknown[]).length)).toEqual([1, 1, 0]);
    expect(types(out).at(-1)).toBe('done');
  });

  it('drops a chunk with no choices and no usage, and treats choices: null as []', () => {
    const t = translator(true);
    expect(t.push(event({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [] }))).toEqual([]);
    expect(t.model).toBeUndefined(); // Azure's empty model is not taken for the answer's model
    expect(t.push(event(chunk(null)))).toEqual([]);
    expect(t.started).toBe(false);
  });

  it('completes tool-call deltas: type, arguments on the first; function object on later ones', () => {
    const t = translator();
    const out = t.push(
      new Uint8Array([
        ...event(chunk([choice({ role: 'assistant', tool_calls: [{ id: 'call_1', function: { name: 'f' } }] })])),
        ...event(chunk([choice({ tool_calls: [{ index: 0 }] })])),
        ...event(
          chunk([choice({ tool_calls: [{ index: 0, id: null, type: null, function: { name: null, arguments: '{}' } }] }, 'tool_calls')]),
        ),
      ]),
    );
    expect(chunks(out).map((c) => (c['choices'] as Array<{ delta: { tool_calls: unknown } }>)[0]!.delta.tool_calls)).toEqual([
      [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }],
      [{ index: 0, function: {} }],
      [{ index: 0, function: { arguments: '{}' } }],
    ]);
  });

  it('skips and counts a choice that is not an object', () => {
    const t = translator();
    const out = t.push(event(chunk(['garbage', choice({ role: 'assistant', content: 'a' })])));
    expect(chunks(out)[0]!['choices']).toEqual([{ index: 0, delta: { role: 'assistant', content: 'a' }, finish_reason: null }]);
    expect(t.malformedEvents).toBe(1);
  });

  it('repairs legacy completions chunks (text, logprobs, object)', () => {
    const t = translator(false, 'completions');
    const out = t.push(event({ id: 'c', created: 7, model: 'm', choices: [{ index: 0, finish_reason: null }] }));
    expect(chunks(out)[0]).toEqual({
      id: 'c',
      object: 'text_completion',
      created: 7,
      model: 'm',
      choices: [{ index: 0, text: '', logprobs: null, finish_reason: null }],
    });
  });

  it('turns an SSE line that never ends into an upstream error instead of unbounded memory', () => {
    const t = translator();
    const big = new Uint8Array(17 * 1024 * 1024).fill(0x61);
    expect(types(t.push(big))).toEqual(['error']);
  });
});
