/**
 * Gemini stream edge cases beyond the golden fixtures: several candidates, a finish without usage
 * completed by the end of the body, progress for continuation elsewhere, thought parts, and ids.
 */
import { describe, expect, it } from 'vitest';
import { GeminiStreamTranslator } from '../../../adapters/gemini/stream.js';
import { translateResponse } from '../../../adapters/gemini/response.js';
import type { ClientRequest, StreamOutput, UpstreamTarget } from '../../../adapters/types.js';

const target: UpstreamTarget = { deploymentId: 'g', model: 'gemini-2.0-flash-001', provider: { id: 'g', type: 'gemini', headers: {} } };

function request(extra: Record<string, unknown> = {}): ClientRequest {
  const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true, ...extra };
  return { operation: 'chat', body, raw: Buffer.from(JSON.stringify(body)), stream: true, includeUsage: false };
}

const sse = (...events: unknown[]): Uint8Array =>
  new TextEncoder().encode(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(''));
const text = (t: string, extra: Record<string, unknown> = {}, index = 0) => ({
  content: { role: 'model', parts: [{ text: t }] },
  index,
  ...extra,
});
const usage = { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 };

const chunksOf = (outputs: StreamOutput[]) =>
  outputs.flatMap((o) =>
    o.type === 'chunk' ? [JSON.parse(o.data) as { id: string; created: number; choices: Array<Record<string, unknown>> }] : [],
  );

describe('gemini stream translator', () => {
  it('keeps several candidates apart and completes once every candidate asked for has finished', () => {
    const t = new GeminiStreamTranslator(request({ n: 2 }), target);
    const first = t.push(sse({ candidates: [text('a', {}, 0), text('b', {}, 1)], responseId: 'r' }));
    const second = t.push(sse({ candidates: [text('!', { finishReason: 'STOP' }, 0)], usageMetadata: usage, responseId: 'r' }));
    expect(second.at(-1)?.type).toBe('chunk'); // candidate 1 is still open
    const third = t.push(sse({ candidates: [text('?', { finishReason: 'MAX_TOKENS' }, 1)], usageMetadata: usage, responseId: 'r' }));
    expect(third.at(-1)).toEqual({ type: 'done' });
    const finishes = chunksOf([...first, ...second, ...third])
      .flatMap((c) => c.choices.map((ch) => ch['finish_reason']))
      .filter(Boolean);
    expect(finishes).toEqual(['stop', 'length']);
    expect(t.end()).toEqual([]);
  });

  it('a finish without usage is completed by the end of the body, not before', () => {
    const t = new GeminiStreamTranslator(request(), target);
    expect(t.push(sse({ candidates: [text('a', { finishReason: 'STOP' })] })).map((o) => o.type)).toEqual(['chunk']);
    expect(t.end()).toEqual([{ type: 'done' }]);
  });

  it('reports progress for continuation: the text so far, continuable until finished, never with a tool call', () => {
    const t = new GeminiStreamTranslator(request(), target);
    t.push(sse({ candidates: [text('Hello')] }, { candidates: [text(' world')] }));
    expect(t.progress).toEqual({ text: 'Hello world', contentChunks: 2, continuable: true });
    t.push(sse({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] }, index: 0 }] }));
    expect(t.progress.continuable).toBe(false);
  });

  it('leaves thought parts out, and keeps one id and created for the whole stream', () => {
    const t = new GeminiStreamTranslator(request(), target);
    const out = [
      ...t.push(
        sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'thinking…', thought: true }] }, index: 0 }], responseId: 'r1' }),
      ),
      ...t.push(sse({ candidates: [text('Hi', { finishReason: 'STOP' })], usageMetadata: usage, responseId: 'r1' })),
    ];
    const chunks = chunksOf(out);
    expect(chunks.map((c) => (c.choices[0]!['delta'] as { content?: string }).content)).toEqual(['', 'Hi']);
    expect(new Set(chunks.map((c) => `${c.id}/${c.created}`)).size).toBe(1);
    expect(chunks[0]!.id).toBe('chatcmpl-r1');
    // No createTime from the Gemini API: the translator's own clock.
    expect(Math.abs(chunks[0]!.created - Date.now() / 1000)).toBeLessThan(60);
  });

  it('a body with nothing but garbage is a broken stream', () => {
    const t = new GeminiStreamTranslator(request(), target);
    t.push(new TextEncoder().encode('data: nope\r\n\r\n'));
    expect(t.end()).toMatchObject([{ type: 'error', error: { kind: 'connection' } }]);
    expect(t.malformedEvents).toBe(1);
  });
});

describe('gemini response', () => {
  it('gives the same call id to the same call whether streamed or not', () => {
    const answer = {
      candidates: [
        { content: { role: 'model', parts: [{ functionCall: { name: 'f', args: { a: 1 } } }] }, finishReason: 'STOP', index: 0 },
      ],
      responseId: 'same',
    };
    const unary = JSON.parse(translateResponse(request({ stream: false }), Buffer.from(JSON.stringify(answer)), target).body) as {
      choices: Array<{ message: { tool_calls: Array<{ id: string }> } }>;
    };
    const t = new GeminiStreamTranslator(request(), target);
    const streamed = chunksOf(t.push(sse(answer)))[0]!.choices[0]!['delta'] as { tool_calls: Array<{ id: string }> };
    expect(streamed.tool_calls[0]!.id).toBe(unary.choices[0]!.message.tool_calls[0]!.id);
  });

  it('an error body under 200 is an upstream failure of its own kind', () => {
    const body = Buffer.from(JSON.stringify({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }));
    expect(() => translateResponse(request({ stream: false }), body, target)).toThrow(
      expect.objectContaining({ kind: 'overloaded' }) as Error,
    );
  });
});
