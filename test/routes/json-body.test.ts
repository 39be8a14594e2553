/** Body parsing: one parse, objects only, and no prototype pollution from `__proto__` keys. */
import { describe, expect, it } from 'vitest';
import { parseJsonObject } from '../../routes/json-body.js';
import { GatewayError } from '../../gateway/errors/catalogue.js';

describe('parseJsonObject', () => {
  it('parses an object', () => {
    expect(parseJsonObject(Buffer.from('{"model":"m","n":1}'))).toEqual({ model: 'm', n: 1 });
  });

  it.each([
    ['', 'invalid_json'],
    ['{"a":', 'invalid_json'],
    ['[1]', 'invalid_type'],
    ['"x"', 'invalid_type'],
    ['null', 'invalid_type'],
  ])('refuses %j with %s', (text, code) => {
    try {
      parseJsonObject(Buffer.from(text));
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status).toBe(400);
      expect((err as GatewayError).bodyCode).toBe(code);
    }
  });

  it('drops __proto__ and constructor.prototype keys so a later merge cannot pollute prototypes', () => {
    const parsed = parseJsonObject(
      Buffer.from('{"model":"m","__proto__":{"polluted":1},"nested":{"constructor":{"prototype":{"polluted":2}},"__proto__":{"x":1}}}'),
    );
    const merged = Object.assign({}, parsed, parsed.nested as object);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((merged as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(['model', 'nested']);
  });

  it('keeps the text "prototype" inside ordinary strings', () => {
    expect(parseJsonObject(Buffer.from('{"content":"explain prototype chains"}'))).toEqual({ content: 'explain prototype chains' });
  });
});
