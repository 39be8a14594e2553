/**
 * Reading a server's `/metrics` page: the Prometheus text exposition format (version 0.0.4), as vLLM,
 * SGLang, TGI and llama.cpp serve it. Only what a pool router needs: each sample's metric name, labels
 * and value. `# HELP` / `# TYPE` lines and comments are skipped; timestamps after the value are
 * ignored; `NaN`, `+Inf` and `-Inf` are numbers; a line that cannot be read is skipped rather than
 * failing the whole page (one odd metric must not blind the router to the rest).
 *
 * It runs every scrape interval for every endpoint, so it scans each line once with indexOf instead of
 * a regular expression per line, and keeps only the metrics it is asked for (`wanted`): a vLLM page is
 * a few hundred lines, nearly all histogram buckets nobody here reads.
 */

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Samples by metric name, in page order. */
export type MetricSamples = ReadonlyMap<string, readonly Sample[]>;

function parseValue(text: string): number | undefined {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  return text === '' || Number.isNaN(value) ? undefined : value;
}

/** `a="x",b="y\"z"` (the text between the braces) into labels; undefined when malformed. */
function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i += 1;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq === -1 || text[eq + 1] !== '"') return undefined;
    const name = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < text.length; j += 1) {
      const c = text[j];
      if (c === '\\') {
        const next = text[j + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        j += 1;
      } else if (c === '"') break;
      else value += c;
    }
    if (j >= text.length) return undefined;
    labels[name] = value;
    i = j + 1;
  }
  return labels;
}

/**
 * The samples of the `wanted` metrics on a page (every metric when `wanted` is undefined). A name is
 * the sample's own (`vllm:prefix_cache_hits_total`, `…_bucket`), as the page writes it.
 */
export function parsePrometheusText(page: string, wanted?: ReadonlySet<string>): MetricSamples {
  const out = new Map<string, Sample[]>();
  let start = 0;
  while (start < page.length) {
    let end = page.indexOf('\n', start);
    if (end === -1) end = page.length;
    const line = page.charCodeAt(end - 1) === 13 ? page.slice(start, end - 1) : page.slice(start, end);
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    if (space === -1) continue;
    const nameEnd = brace !== -1 && brace < space ? brace : space;
    const name = line.slice(0, nameEnd);
    if (wanted !== undefined && !wanted.has(name)) continue;
    let labels: Record<string, string> | undefined = {};
    let rest: string;
    if (nameEnd === brace) {
      const close = line.lastIndexOf('}');
      if (close < brace) continue;
      labels = parseLabels(line.slice(brace + 1, close));
      rest = line.slice(close + 1).trim();
    } else {
      rest = line.slice(space + 1).trim();
    }
    if (labels === undefined) continue;
    const valueEnd = rest.indexOf(' ');
    const value = parseValue(valueEnd === -1 ? rest : rest.slice(0, valueEnd));
    if (value === undefined) continue;
    let list = out.get(name);
    if (list === undefined) {
      list = [];
      out.set(name, list);
    }
    list.push({ labels, value });
  }
  return out;
}
