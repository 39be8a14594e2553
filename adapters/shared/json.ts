/**
 * JSON from upstreams, parsed so that it cannot pollute prototypes. `JSON.parse` itself only creates
 * own properties, but a `__proto__` key survives as an own property and turns into a prototype
 * assignment as soon as someone copies the object with `Object.assign` or a hand-written merge; a
 * `constructor: {prototype: …}` key is the other classic gadget. Both are dropped, like fastify's
 * secure-json-parse does, and only when the text could contain them. The common case costs two
 * substring searches (fast, native) instead of the regular-expression scans, which showed up at ~6% of
 * the gateway's CPU on streams, where every chunk is parsed.
 */

export type JsonObject = Record<string, unknown>;

// Matches the keys `"__proto__"` and `"constructor"` also when written with \u escapes.
const protoKey =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const constructorKey =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

/** Either key needs its own letters (`proto`, `ctor`) or, escaped, a `\u` to appear in the text. */
function mayHideKey(text: string): boolean {
  return text.includes('\\u') || text.includes('proto') || text.includes('ctor');
}

/** Parses JSON text; throws a SyntaxError on invalid JSON. Dangerous keys are removed. */
export function safeJsonParse(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (value !== null && typeof value === 'object' && mayHideKey(text) && (protoKey.test(text) || constructorKey.test(text))) {
    scrub(value);
  }
  return value;
}

/** Like safeJsonParse, but `undefined` (which JSON cannot produce) for text that is not JSON. */
export function tryParseJson(text: string): unknown {
  try {
    return safeJsonParse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Iterative, so that a deeply nested hostile document cannot overflow the stack. */
function scrub(root: object): void {
  const pending: object[] = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const record = node as JsonObject;
    if (hasOwn(record, '__proto__')) delete record['__proto__'];
    const ctor = hasOwn(record, 'constructor') ? record['constructor'] : undefined;
    if (ctor !== null && typeof ctor === 'object' && hasOwn(ctor, 'prototype')) delete record['constructor'];
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (child !== null && typeof child === 'object') pending.push(child);
    }
  }
}
