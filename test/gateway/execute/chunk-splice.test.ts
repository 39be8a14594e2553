/** Splicing a second upstream onto a stream: one id, one role, and a replay that must match what was sent. */
import { describe, expect, it } from 'vitest';
import { ReplayGate, envelopeOf, spliceChunk } from '../../../gateway/execute/continuation/chunk-splice.js';

const envelope = { id: 'chatcmpl-original', created: 1700000000 };
const chunk = (content: string | undefined, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'chatcmpl-other',
    object: 'chat.completion.chunk',
    created: 1800000000,
    model: 'm',
    choices: [{ index: 0, delta: content === undefined ? {} : { content, ...extra }, finish_reason: null }],
  });

describe('spliceChunk', () => {
  it("keeps the original stream's id and created and drops a repeated role", () => {
    const out = JSON.parse(spliceChunk(chunk('more', { role: 'assistant' }), envelope));
    expect(out).toMatchObject({ id: 'chatcmpl-original', created: 1700000000, choices: [{ delta: { content: 'more' } }] });
    expect(out.choices[0].delta.role).toBeUndefined();
    expect(envelopeOf(chunk('x'))).toEqual({ id: 'chatcmpl-other', created: 1800000000 });
  });
});

describe('ReplayGate', () => {
  it('holds back the replayed prefix and sends only what is new', () => {
    const gate = new ReplayGate('Hello wor', envelope);
    expect(gate.accept(chunk('', { role: 'assistant' }))).toEqual([]);
    expect(gate.accept(chunk('Hello'))).toEqual([]);
    const crossing = gate.accept(chunk(' world'));
    expect(crossing).not.toBe('diverged');
    expect(JSON.parse((crossing as string[])[0]!)).toMatchObject({ id: 'chatcmpl-original', choices: [{ delta: { content: 'ld' } }] });
    expect(JSON.parse((gate.accept(chunk('!')) as string[])[0]!).choices[0].delta.content).toBe('!');
    expect(gate.passedThrough).toBe(true);
  });

  it('stops a replay that says something else, or ends early', () => {
    expect(new ReplayGate('Hello world', envelope).accept(chunk('Goodbye'))).toBe('diverged');
    const gate = new ReplayGate('Hello world', envelope);
    gate.accept(chunk('Hello'));
    expect(gate.accept(JSON.stringify({ id: 'x', created: 1, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }))).toBe(
      'diverged',
    );
  });

  it('passes the finish chunk when the replay ends exactly where the client is', () => {
    const gate = new ReplayGate('Hi', envelope);
    expect(gate.accept(chunk('Hi'))).toEqual([]);
    const finish = gate.accept(JSON.stringify({ id: 'x', created: 1, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
    expect(JSON.parse((finish as string[])[0]!).choices[0].finish_reason).toBe('stop');
  });
});
