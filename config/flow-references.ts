/**
 * `{ key: ${VAR} }` is not YAML: inside a flow mapping `{ }` or list `[ ]`, braces are structure, so
 * the plain scalar ends at `$` and the parser reports a cascade of errors that say nothing useful
 * (nine for one `keys:` line). This finds each such unquoted reference from the parser's own
 * complaint (an error at a `{` right after a `$`), quotes its scalar in a copy of the text, and parses
 * again; the loader reports one error per reference, saying what to write, and checks the rest of
 * the file as if it had been quoted. Positions are mapped back to the text as written.
 */
import { parseDocument, type YAMLError } from 'yaml';

export interface FlowReference {
  /** Offset of the scalar in the text as written. */
  start: number;
  /** Offset of the quoted scalar in the repaired text. */
  repairedStart: number;
  /** The scalar as written, e.g. `${TEAM_SEARCH_KEY}`. */
  written: string;
  /** The key it is the value of (`key` in `{ key: ${X} }`), when it is one. */
  key?: string;
  /** The flow collection it sits in. */
  brackets: '{ }' | '[ ]';
}

export interface FlowRepair {
  /** The text with every such scalar double-quoted. */
  text: string;
  references: FlowReference[];
  /** An offset in the repaired text -> the offset in the text as written. */
  original(offset: number): number;
}

interface Edit {
  at: number;
  oldLength: number;
  newLength: number;
}

/** What ends a plain scalar inside a flow collection. */
const ends = new Set([' ', '\t', '\r', '\n', ',', '[', ']', '{', '}']);
const maxRepairs = 200;

/** The offset of the `{` of an unquoted `${` that this error complains about, if it is one. */
function referenceAt(text: string, error: YAMLError): number | undefined {
  const at = error.pos[0];
  return text[at] === '{' && text[at - 1] === '$' ? at : undefined;
}

/** The plain scalar around the `${` whose `{` is at `brace`: [start, end), or undefined if it is not one. */
function scalarAround(text: string, brace: number): [number, number] | undefined {
  let start = brace - 1;
  while (start > 0 && !ends.has(text[start - 1]!)) start -= 1;
  let end = brace;
  while (end < text.length) {
    const c = text[end]!;
    if (c === '{' && text[end - 1] === '$') {
      const close = text.indexOf('}', end);
      if (close === -1 || text.slice(end, close).includes('\n')) return undefined;
      end = close + 1;
    } else if (ends.has(c) || (c === ':' && (end + 1 === text.length || ends.has(text[end + 1]!)))) {
      break;
    } else {
      end += 1;
    }
  }
  return [start, end];
}

/** `key` in `key: <scalar>`, reading left from the scalar's start. */
function keyBefore(text: string, start: number): string | undefined {
  let i = start - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i -= 1;
  if (text[i] !== ':') return undefined;
  const keyEnd = i;
  while (i > 0 && !ends.has(text[i - 1]!)) i -= 1;
  const key = text.slice(i, keyEnd);
  return key === '' ? undefined : key;
}

/** The innermost flow collection open at `offset` (quotes are not tracked: it only names the brackets). */
function bracketsAt(text: string, offset: number): FlowReference['brackets'] {
  let depth = 0;
  for (let i = offset - 1; i >= 0; i -= 1) {
    const c = text[i];
    if (c === '}' || c === ']') depth += 1;
    else if (c === '{' || c === '[') {
      if (depth === 0) return c === '[' ? '[ ]' : '{ }';
      depth -= 1;
    }
  }
  return '{ }';
}

/**
 * Quotes every unquoted `${` scalar inside `{ }` or `[ ]`, one parse at a time. `errors` are the
 * first parse's; undefined when none of them is this mistake.
 */
export function repairFlowReferences(text: string, errors: readonly YAMLError[]): FlowRepair | undefined {
  const edits: Edit[] = [];
  const references: FlowReference[] = [];
  let current = text;
  let currentErrors = errors;
  const original = (offset: number): number => {
    let o = offset;
    for (let i = edits.length - 1; i >= 0; i -= 1) {
      const { at, oldLength, newLength } = edits[i]!;
      if (o >= at + newLength) o -= newLength - oldLength;
      else if (o > at) o = at + Math.min(o - at - 1, oldLength);
    }
    return o;
  };
  for (let round = 0; round < maxRepairs; round += 1) {
    const braces = currentErrors.map((e) => referenceAt(current, e)).filter((b): b is number => b !== undefined);
    if (braces.length === 0) break;
    const span = scalarAround(current, Math.min(...braces));
    if (!span) break;
    const [start, end] = span;
    const written = current.slice(start, end);
    // Quotes or backslashes in it: not the simple mistake this repairs (and quoting could loop).
    if (/["'\\]/.test(written)) break;
    const quoted = JSON.stringify(written);
    const key = keyBefore(current, start);
    references.push({
      start: original(start),
      repairedStart: start,
      written,
      brackets: bracketsAt(current, start),
      ...(key ? { key } : {}),
    });
    current = current.slice(0, start) + quoted + current.slice(end);
    edits.push({ at: start, oldLength: written.length, newLength: quoted.length });
    for (const r of references) if (r.repairedStart > start) r.repairedStart += quoted.length - written.length;
    currentErrors = parseDocument(current).errors;
  }
  return references.length === 0 ? undefined : { text: current, references, original };
}

/** One error per reference: what to write instead. */
export function flowReferenceMessage(ref: FlowReference): string {
  const example = ref.key ? `${ref.key}: ${JSON.stringify(ref.written)}` : JSON.stringify(ref.written);
  return `quote values that contain \${ inside ${ref.brackets}: ${example} (unquoted, YAML reads the braces of \${...} as a nested mapping)`;
}
