/**
 * Re-encoding a request body whose top-level members changed, without re-serialising the rest.
 * Almost every request changes `model` (the route's name becomes the upstream's model), and streams
 * gain `stream_options`; `JSON.stringify` of the whole body costs ~4 µs per KB here (~420 µs for a
 * 96 KB conversation), while splicing the changed values into the client's bytes costs a scan that
 * skips strings natively (~15 µs for the same body).
 */

export type JsonObject = Record<string, unknown>;

interface Member {
  readonly key: string;
  /** Byte offsets of the member's value: [valueStart, valueEnd). */
  readonly valueStart: number;
  readonly valueEnd: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Index of the quote that closes the string opened at `open`, or -1. */
function stringEnd(raw: Buffer, open: number): number {
  let end = raw.indexOf(QUOTE, open + 1);
  while (end !== -1) {
    let backslashes = 0;
    for (let i = end - 1; raw[i] === BACKSLASH; i -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = raw.indexOf(QUOTE, end + 1);
  }
  return -1;
}

/**
 * The top-level members of a JSON object text and the offset of its closing brace; undefined when the
 * text is not a single object or a key repeats (JSON.parse keeps the last; splicing would be unsafe).
 * The text is known to be valid JSON (it was parsed), so the scan only tracks strings and nesting.
 */
function topLevelMembers(raw: Buffer): { members: Map<string, Member>; close: number } | undefined {
  let i = 0;
  while (isSpace(raw[i])) i += 1;
  if (raw[i] !== OPEN_BRACE) return undefined;
  const members = new Map<string, Member>();
  let depth = 0;
  let expectKey = false;
  let key: string | undefined;
  let valueStart = 0;
  /** Records the member whose value ends just before `at` (a comma or the closing brace). */
  const endMember = (at: number): boolean => {
    if (key === undefined) return true;
    let end = at;
    while (isSpace(raw[end - 1])) end -= 1;
    if (members.has(key)) return false;
    members.set(key, { key, valueStart, valueEnd: end });
    key = undefined;
    return true;
  };
  for (; i < raw.length; i += 1) {
    const b = raw[i];
    if (b === QUOTE) {
      const end = stringEnd(raw, i);
      if (end === -1) return undefined;
      if (depth === 1 && expectKey) {
        const text = raw.toString('utf8', i, end + 1);
        key = text.includes('\\') ? (JSON.parse(text) as string) : text.slice(1, -1);
        expectKey = false;
        let colon = end + 1;
        while (isSpace(raw[colon])) colon += 1;
        if (raw[colon] !== COLON) return undefined;
        valueStart = colon + 1;
        while (isSpace(raw[valueStart])) valueStart += 1;
        i = valueStart - 1;
      } else {
        i = end;
      }
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth += 1;
      if (depth === 1) expectKey = true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) {
        if (!endMember(i)) return undefined;
        for (let j = i + 1; j < raw.length; j += 1) if (!isSpace(raw[j])) return undefined;
        return { members, close: i };
      }
    } else if (b === COMMA && depth === 1) {
      if (!endMember(i)) return undefined;
      expectKey = true;
    }
  }
  return undefined;
}

/**
 * `edited`'s bytes, made from `raw` (the text of `original`) by replacing the values of the top-level
 * members whose values differ (by reference) and appending members `original` lacks. Undefined when
 * a member was removed or the text cannot be spliced safely: serialise `edited` instead.
 */
export function spliceTopLevel(raw: Buffer, original: JsonObject, edited: JsonObject): Buffer | undefined {
  for (const key of Object.keys(original)) if (!Object.hasOwn(edited, key)) return undefined;
  const changed: string[] = [];
  const added: string[] = [];
  for (const key of Object.keys(edited)) {
    // `undefined` members vanish when serialised: let JSON.stringify handle that case.
    if (edited[key] === undefined) return undefined;
    if (!Object.hasOwn(original, key)) added.push(key);
    else if (edited[key] !== original[key]) changed.push(key);
  }
  const scanned = topLevelMembers(raw);
  if (!scanned) return undefined;
  const replacements: Member[] = [];
  for (const key of changed) {
    const member = scanned.members.get(key);
    if (!member) return undefined;
    replacements.push(member);
  }
  replacements.sort((a, b) => a.valueStart - b.valueStart);
  const parts: Buffer[] = [];
  let from = 0;
  for (const m of replacements) {
    parts.push(raw.subarray(from, m.valueStart), Buffer.from(JSON.stringify(edited[m.key])));
    from = m.valueEnd;
  }
  if (added.length > 0) {
    parts.push(raw.subarray(from, scanned.close));
    const tail = added.map((key) => `${JSON.stringify(key)}:${JSON.stringify(edited[key])}`).join(',');
    parts.push(Buffer.from(scanned.members.size > 0 ? `,${tail}` : tail));
    from = scanned.close;
  }
  parts.push(raw.subarray(from));
  return Buffer.concat(parts);
}
