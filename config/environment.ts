/**
 * Puts the environment into a parsed document: every scalar with `${VAR}` gets its value (a plain
 * scalar that was one reference is re-typed, so `${PORT:-8080}` is a number). It remembers which
 * nodes came from the environment, so their values are never echoed in messages, and which nodes hold
 * a value nobody knows — a missing variable, or any variable under `validate --no-env` — so that the
 * loader reports the missing variable once and nothing that only follows from the stand-in value.
 */
import { isPair, isScalar, isSeq, visit, type Document, type Node, type Scalar } from 'yaml';
import { interpolate, retype, type Resolve } from './interpolate.js';
import type { Path } from './positions.js';

export interface MissingVariable {
  node: Node;
  path: Path;
  name: string;
}

export interface Environment {
  /** Nodes whose value came from the environment, with the variables they reference. */
  fromEnv: Map<Node, string[]>;
  /** Nodes whose real value is unknown here (missing variable, or every reference when env is assumed set). */
  unknown: Set<Node>;
  missing: MissingVariable[];
}

export function applyEnvironment(doc: Document, resolve: Resolve, assumeSet: boolean): Environment {
  const env: Environment = { fromEnv: new Map(), unknown: new Set(), missing: [] };
  visit(doc, {
    Scalar(key, node: Scalar, ancestors) {
      // Keys are names, never interpolated.
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const result = interpolate(node.value, resolve);
      if (result.refs.length > 0) env.fromEnv.set(node, result.refs);
      if (result.refs.length > 0 && assumeSet) env.unknown.add(node);
      if (result.missing.length > 0) {
        env.unknown.add(node);
        const path = pathOf(ancestors, node);
        for (const name of result.missing) env.missing.push({ node, path, name });
      }
      node.value = result.whole && node.type === 'PLAIN' ? retype(result.value) : result.value;
    },
  });
  return env;
}

/** The data path of a node from the ancestors `visit` hands over (pairs give keys, lists give indexes). */
function pathOf(ancestors: readonly unknown[], node: unknown): Path {
  const out: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i += 1) {
    const a = chain[i];
    const next = chain[i + 1];
    if (isPair(a) && isScalar(a.key)) out.push(String(a.key.value));
    else if (isSeq(a)) out.push(a.items.indexOf(next as never));
  }
  return out;
}
