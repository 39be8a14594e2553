/**
 * Where things are in the YAML: every config error names file:line:col. A path into the parsed value
 * is mapped back to the node that produced it, or to the nearest existing ancestor when the node is
 * missing (a required key that is absent points at the mapping that lacks it). Offsets are turned into
 * line:col by a function, so that a document parsed from a repaired text (config/flow-references.ts)
 * still reports positions in the file as written.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

export type Path = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

/** Offset -> line:col (both from 1) in `text`. */
export function lineIndex(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  };
}

export class Positions {
  constructor(
    private readonly doc: Document,
    /** Offset in the parsed text -> line:col in the file. */
    readonly locate: (offset: number) => Position,
  ) {}

  private at(offset: number | undefined): Position {
    return offset === undefined ? { line: 1, col: 1 } : this.locate(offset);
  }

  /** The position where `node` starts. */
  ofNode(node: Node): Position {
    return this.at(node.range?.[0]);
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

  /** The data path of the node that starts at `offset`, if one does. */
  pathAt(offset: number): Path | undefined {
    const search = (node: unknown, path: (string | number)[]): Path | undefined => {
      if (isScalar(node)) return node.range?.[0] === offset ? path : undefined;
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isPair(pair) || !isScalar(pair.key)) continue;
          const found = search(pair.value, [...path, String(pair.key.value)]);
          if (found) return found;
        }
      } else if (isSeq(node)) {
        for (let i = 0; i < node.items.length; i += 1) {
          const found = search(node.items[i], [...path, i]);
          if (found) return found;
        }
      }
      return undefined;
    };
    return search(this.doc.contents, []);
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
