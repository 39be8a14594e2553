import { describe, expect, it } from 'vitest';
import { isRecord, safeJsonParse, tryParseJson } from '../../../adapters/shared/json.js';

describe('safeJsonParse', () => {
  it('parses ordinary JSON unchanged', () => {
    expect(safeJsonParse('{"a":[1,{"b":"constructor"}],"constructor":"x"}')).toEqual({ a: [1, { b: 'constructor' }], constructor: 'x' });
  });

  it('drops __proto__ keys at any depth, also when written with \\u escapes', () => {
    const value = safeJsonParse('{"a":1,"__proto__":{"polluted":true},"n":[{"\\u005f_proto__":{"polluted":true}}]}');
    expect(isRecord(value) && Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(false);
    const copy = Object.assign({}, value);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(value)).toBe('{"a":1,"n":[{}]}');
  });

  it('drops a constructor key that carries a prototype', () => {
    const value = safeJsonParse('{"x":{"constructor":{"prototype":{"polluted":true}}},"constructor":{"name":"ok"}}');
    expect(value).toEqual({ x: {}, constructor: { name: 'ok' } });
  });

  it('survives a deeply nested hostile document', () => {
    const deep = `${'['.repeat(5000)}{"__proto__":1}${']'.repeat(5000)}`;
    expect(() => safeJsonParse(deep)).not.toThrow();
  });

  it('throws on invalid JSON; tryParseJson returns undefined instead', () => {
    expect(() => safeJsonParse('{"a":')).toThrow(SyntaxError);
    expect(tryParseJson('{"a":')).toBeUndefined();
    expect(tryParseJson('null')).toBeNull();
  });
});
