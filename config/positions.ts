/**
 * Where things are in the YAML: every config error names file:line:col. A path into the parsed value
 * is mapped back to the node that produced it, or to the nearest existing ancestor when the node is
 * missing (a required key that is absent points at the mapping that lacks it).
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type Path = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

export class Positions {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private at(offset: number | undefined): Position {
    if (offset === undefined) return { line: 1, col: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /** The node at `path`, if it exists. */
  node(path: Path): Node | undefined {
    let current: unknown = this.doc.contents;
    for (const key of path) {
      if (isMap(current)) {
        const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
        current = pair?.value;
      } else if (isSeq(current) && typeof key === 'number') {
        current = current.items[key];
      } else {
        return undefined;
      }
      if (current === undefined || current === null) return undefined;
    }
    return current as Node;
  }

  /** The position of the value at `path`, or of its nearest existing ancestor. */
  of(path: Path): Position {
    for (let n = path.length; n >= 0; n -= 1) {
      const node = this.node(path.slice(0, n));
      if (node?.range) return this.at(node.range[0]);
      if (n === 0) return this.at(this.doc.contents?.range?.[0]);
    }
    return { line: 1, col: 1 };
  }

  /** The position of a key inside the mapping at `path` (for unknown keys). */
  ofKey(path: Path, key: string): Position {
    const map = path.length === 0 ? this.doc.contents : this.node(path);
    if (isMap(map)) {
      const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
    }
    return this.of(path);
  }
}

/** `routes.chat.targets[1]` */
export function dotted(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out === '' ? '(top level)' : out;
}
