/**
 * Whether a GPU server may take traffic: its health endpoint answers 2xx AND its model list names
 * every model the pool must serve. Anything else (a 503 while the weights load, a refused connection,
 * a model not (yet) listed, an unparsable list) is "not ready", with a short reason for /admin/state.
 *
 * Where each server puts them (base URL `http://host:port/v1`, its root `http://host:port`):
 * - vLLM: `GET /health` (200 once the engine is up), `GET /v1/models`;
 * - SGLang: `GET /health`, `GET /v1/models`;
 * - TGI: `GET /health`, `GET /v1/models`;
 * - llama.cpp server: `GET /health` (503 `{"error":{"message":"Loading model"}}` while loading), `GET /v1/models`.
 * So health is read at the server root (the base URL without its `/v1`), models under the base URL.
 *
 * Probes go through a control transport on the server's origin (not the request transport: a
 * `max_connections` cap must not refuse them) and carry what a request carries, as upstream's active
 * health checks do: the provider's static headers, then the adapter's authorize step.
 */
import type { Readable } from 'node:stream';
import type { UpstreamHttpRequest } from '../adapters/types.js';
import { UpstreamError } from '../adapters/upstream-error.js';
import type { Transport } from '../upstream/transport.js';

export interface ProbeAuth {
  /** The provider's static headers (names lower-cased), as on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The adapter's authorize step, bound to the provider. */
  readonly authorize?: (request: UpstreamHttpRequest) => UpstreamHttpRequest | Promise<UpstreamHttpRequest>;
}

export interface ReadinessOptions extends ProbeAuth {
  /** Every model the server must list (ids in `data[].id`). */
  readonly models: readonly string[];
  readonly timeoutMs: number;
  /** Under the server root; default '/health'. */
  readonly healthPath?: string;
}

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string; readonly refused: boolean };

/** Where a server's root and API are, on its origin: `http://h:8000/v1` → root '', api '/v1'. */
export interface ServerPaths {
  readonly origin: string;
  /** The server root's path, no trailing slash ('' for the origin). */
  readonly root: string;
  /** The API base path (the base URL's path), no trailing slash. */
  readonly api: string;
}

export function serverPaths(baseUrl: string): ServerPaths {
  const url = new URL(baseUrl);
  const api = url.pathname.replace(/\/+$/, '');
  const root = api.replace(/\/v1$/, '');
  return { origin: url.origin, root, api };
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** One GET through the transport, the body read as text (at most `limit` bytes), within `timeoutMs` overall. */
export async function getText(
  transport: Transport,
  path: string,
  auth: ProbeAuth,
  timeoutMs: number,
  accept = 'application/json',
  limit = MAX_BODY_BYTES,
): Promise<{ status: number; text: string }> {
  const request: UpstreamHttpRequest = { method: 'GET', path, headers: { accept, ...auth.headers } };
  const ready = auth.authorize ? await auth.authorize(request) : request;
  const signal = AbortSignal.timeout(timeoutMs);
  const res = await transport.request(ready, signal, { headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
  return { status: res.status, text: await readLimited(res.body, limit) };
}

async function readLimited(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > limit) {
      body.destroy();
      throw new Error(`answer larger than ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A short reason for a failed probe, and whether the server refused the connection outright. */
export function failureOf(err: unknown): { reason: string; refused: boolean } {
  const e = err as { name?: string; message?: string } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { reason: 'timed out', refused: false };
  if (err instanceof UpstreamError) {
    const cause = (err.cause as { code?: string; cause?: { code?: string } } | undefined) ?? undefined;
    const refused = cause?.code === 'ECONNREFUSED' || cause?.cause?.code === 'ECONNREFUSED' || err.message === 'connection refused';
    return { reason: err.message, refused };
  }
  return { reason: e?.message ?? String(err), refused: false };
}

function shortMessage(text: string): string {
  let message: unknown;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message ?? body.detail);
  } catch {
    message = text;
  }
  const s = typeof message === 'string' ? message.trim().replace(/\s+/g, ' ') : '';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The model ids a `/models` answer lists; undefined when it is not such a list. */
export function listedModels(text: string): string[] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  return data.map((m) => (m as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string');
}

/** Probes one server: health at its root, then its model list. */
export async function checkReadiness(control: Transport, baseUrl: string, options: ReadinessOptions): Promise<Readiness> {
  const paths = serverPaths(baseUrl);
  try {
    const health = await getText(control, paths.root + (options.healthPath ?? '/health'), options, options.timeoutMs);
    if (health.status < 200 || health.status >= 300) {
      const message = shortMessage(health.text);
      return { ready: false, reason: `health ${health.status}${message ? `: ${message}` : ''}`, refused: false };
    }
    const models = await getText(control, `${paths.api}/models`, options, options.timeoutMs);
    if (models.status < 200 || models.status >= 300) {
      const message = shortMessage(models.text);
      return { ready: false, reason: `models ${models.status}${message ? `: ${message}` : ''}`, refused: false };
    }
    const listed = listedModels(models.text);
    if (listed === undefined) return { ready: false, reason: 'models: not a model list', refused: false };
    const missing = options.models.filter((m) => !listed.includes(m));
    if (missing.length > 0) return { ready: false, reason: `model not listed: ${missing.join(', ')}`, refused: false };
    return { ready: true };
  } catch (err) {
    const { reason, refused } = failureOf(err);
    return { ready: false, reason, refused };
  }
}
