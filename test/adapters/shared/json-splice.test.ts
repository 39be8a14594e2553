/** spliceTopLevel: the client's bytes with changed top-level values, equal to serialising the edit. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spliceTopLevel } from '../../../adapters/shared/json-splice.js';

type Obj = Record<string, unknown>;

/** JSON texts as clients write them: compact, pretty, or with odd spacing. */
const encodings = [
  (v: unknown) => JSON.stringify(v),
  (v: unknown) => JSON.stringify(v, null, 2),
  (v: unknown) => ` \n${JSON.stringify(v, null, '\t').replaceAll(':', ' : ').replaceAll(',', ' ,')}\r\n`,
];

const edit = (original: Obj, changes: Obj): Obj => ({ ...original, ...changes });

describe('spliceTopLevel', () => {
  it('equals serialising the edited object, for any object, encoding and set of changed or added members', () => {
    const object = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 });
    fc.assert(
      fc.property(
        object,
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        fc.integer({ min: 0, max: 2 }),
        (value, changes, enc) => {
          const raw = Buffer.from(encodings[enc]!(value));
          const original = JSON.parse(raw.toString()) as Obj;
          const edited = edit(original, changes);
          const out = spliceTopLevel(raw, original, edited);
          expect(out).toBeDefined();
          expect(JSON.parse(out!.toString())).toEqual(JSON.parse(JSON.stringify(edited)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps every unchanged byte: only the changed value differs', () => {
    const raw = Buffer.from('{"messages":[{"role":"user","content":"say \\"model\\": 1, {\\u007d"}],"model" : "chat" ,"n":1}');
    const original = JSON.parse(raw.toString()) as Obj;
    const out = spliceTopLevel(raw, original, { ...original, model: 'llama-3.1-8b' })!;
    expect(out.toString()).toBe('{"messages":[{"role":"user","content":"say \\"model\\": 1, {\\u007d"}],"model" : "llama-3.1-8b" ,"n":1}');
  });

  it('appends a member the client did not send', () => {
    const raw = Buffer.from('{"model":"m","stream":true}');
    const original = JSON.parse(raw.toString()) as Obj;
    const out = spliceTopLevel(raw, original, { ...original, stream_options: { include_usage: true } })!;
    expect(out.toString()).toBe('{"model":"m","stream":true,"stream_options":{"include_usage":true}}');
    expect(spliceTopLevel(Buffer.from('{}'), {}, { a: 1 })!.toString()).toBe('{"a":1}');
  });

  it('declines (so the caller serialises) when a member is removed or a key repeats', () => {
    const raw = Buffer.from('{"model":"m","max_completion_tokens":5}');
    const original = JSON.parse(raw.toString()) as Obj;
    const { max_completion_tokens: _dropped, ...rest } = original;
    expect(spliceTopLevel(raw, original, { ...rest, max_tokens: 5 })).toBeUndefined();
    const twice = Buffer.from('{"model":"a","model":"b"}');
    expect(spliceTopLevel(twice, { model: 'b' }, { model: 'c' })).toBeUndefined();
  });

  it('finds keys written with escapes', () => {
    const raw = Buffer.from('{"mod\\u0065l":"m","x":1}');
    const original = JSON.parse(raw.toString()) as Obj;
    const out = spliceTopLevel(raw, original, { ...original, model: 'n' })!;
    expect(JSON.parse(out.toString())).toEqual({ model: 'n', x: 1 });
  });
});
