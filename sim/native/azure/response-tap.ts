/**
 * Azure's wire over the shared generation's output. The simulator's generation, faults and exchanges
 * (sim/generation.ts, sim/exchange.ts) write OpenAI's wire; Azure's differs only in details, so one
 * response is re-dressed on its way out instead of being generated twice: Azure's headers
 * (`apim-request-id`, `x-ratelimit-remaining-*`), error bodies in Azure's shape, filter verdicts on
 * every answer (`prompt_filter_results`, each choice's `content_filter_results`), and a stream that
 * opens with Azure's filter-only chunk (`choices: []`, empty id, object and model). Each write of a
 * stream holds whole SSE events, so events are rewritten one by one; a JSON body is rewritten whole.
 * A body cut or stalled on purpose (half written) goes out as it is.
 */
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isRecord } from '../../request.js';
import { passedFilterResults, promptFilterResults, toAzureError } from './errors.js';

/** Azure's first stream event: the prompt's filter verdict and nothing else. */
const promptFilterEvent = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptFilterResults })}\n\n`;

/** Where a streamed choice ends in the shared formatter's output: the verdict goes just before. */
const choiceTail = '"logprobs":null,"finish_reason":';
const choiceTailWithVerdict = `"content_filter_results":${JSON.stringify(passedFilterResults)},${choiceTail}`;

function rewriteEvent(event: string, status: number): string {
  if (!event.startsWith('data: {')) return event; // [DONE], comments, a malformed event on purpose
  if (event.startsWith('data: {"error":')) {
    try {
      // Inside a 200 stream the failure is the server's own.
      return `data: ${JSON.stringify(toAzureError(status >= 400 ? status : 500, JSON.parse(event.slice(6))))}`;
    } catch {
      return event;
    }
  }
  return event.replaceAll(choiceTail, choiceTailWithVerdict);
}

function rewriteStreamText(text: string, status: number): string {
  return text
    .split('\n\n')
    .map((event) => rewriteEvent(event, status))
    .join('\n\n');
}

/** A whole JSON answer in Azure's shape: errors reshaped, filter verdicts added to completions. */
function rewriteJson(text: string, status: number): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text;
  }
  if (status >= 400) return JSON.stringify(toAzureError(status, doc));
  if (!isRecord(doc) || !Array.isArray(doc['choices'])) return text;
  const choices = doc['choices'].map((choice: unknown) =>
    isRecord(choice) ? { ...choice, content_filter_results: passedFilterResults } : choice,
  );
  return JSON.stringify({ ...doc, choices, prompt_filter_results: promptFilterResults });
}

type HeadersArgument = OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined;

/** Re-dresses `res` in place; returns it for the shared exchange and generation to write to. */
export function azureResponse(res: ServerResponse): ServerResponse {
  let mode: 'json' | 'stream' | 'other' = 'other';
  let status = 200;
  let opened = false;
  const writeHead = res.writeHead.bind(res);
  const write = res.write.bind(res);
  const end = res.end.bind(res);

  const rewrite = (chunk: unknown): unknown => {
    if (mode !== 'stream' || (typeof chunk !== 'string' && !Buffer.isBuffer(chunk))) return chunk;
    const text = rewriteStreamText(String(chunk), status);
    if (opened) return text;
    opened = true;
    return promptFilterEvent + text;
  };

  res.writeHead = ((code: number, headers?: HeadersArgument) => {
    status = code;
    const given: OutgoingHttpHeaders = isRecord(headers) ? { ...(headers as OutgoingHttpHeaders) } : {};
    const type = String(given['content-type'] ?? '');
    mode = type.startsWith('text/event-stream') ? 'stream' : type.startsWith('application/json') ? 'json' : 'other';
    // The body is rewritten, so its length is not known yet: Node frames it (chunked).
    if (mode === 'json') delete given['content-length'];
    given['apim-request-id'] = randomUUID();
    given['x-ms-region'] = 'Sweden Central';
    given['x-ratelimit-remaining-requests'] = code === 429 ? '0' : '99';
    given['x-ratelimit-remaining-tokens'] = code === 429 ? '0' : '99000';
    return writeHead(code, given);
  }) as typeof res.writeHead;

  res.write = ((chunk: unknown, ...rest: unknown[]) =>
    (write as (chunk: unknown, ...rest: unknown[]) => boolean)(rewrite(chunk), ...rest)) as typeof res.write;

  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    let out = chunk;
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) {
      out = mode === 'json' ? rewriteJson(String(chunk), status) : rewrite(chunk);
    }
    return (end as (chunk?: unknown, ...rest: unknown[]) => ServerResponse)(out, ...rest);
  }) as typeof res.end;

  return res;
}
