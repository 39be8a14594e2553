/**
 * The contract between the gateway core and a provider adapter. An adapter is pure translation
 * (OpenAI request -> provider request, provider response/stream -> OpenAI) plus error classification;
 * the transport that moves the bytes sits apart (adapters/transport.ts). The core never sees a
 * provider's wire format, and adapters never see routing, breakers or HTTP servers.
 */
import type { UpstreamErrorInfo } from './upstream-error.js';

export type Operation = 'chat' | 'completions' | 'embeddings';

/** The client's request, parsed and validated once by routes/. Adapters must not mutate `body`. */
export interface ClientRequest {
  operation: Operation;
  /** The parsed JSON body exactly as the client sent it (its `model` is the route name). */
  body: Readonly<Record<string, unknown>>;
  /** The raw bytes of that body, forwarded as-is when translation changes nothing. */
  raw: Buffer;
  /** From the body's `stream`, never from Accept. */
  stream: boolean;
  /** The client asked `stream_options.include_usage`. */
  includeUsage: boolean;
}

/** Provider settings an adapter needs to build a request. Secrets live here and nowhere else. */
export interface ProviderSettings {
  /** The provider's id in the config (`providers.<id>`). */
  id: string;
  type: string;
  apiKey?: string;
  /** Static extra headers from the config (e.g. OpenAI-Organization). */
  headers: Readonly<Record<string, string>>;
  /** Azure-style `api-version` query value, where the provider type uses one. */
  apiVersion?: string;
}

/** Where one attempt goes: the exact upstream model on a provider. */
export interface UpstreamTarget {
  deploymentId: string;
  /** The upstream's model name (e.g. `gpt-4o-2024-08-06`, or a vLLM served name). */
  model: string;
  provider: ProviderSettings;
}

/** An HTTP request for the transport. `path` is appended to the endpoint's base URL path. */
export interface UpstreamHttpRequest {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens?: number;
}

/** A non-stream upstream success, translated. */
export interface TranslatedResponse {
  /** The JSON text to send the client (OpenAI shape). */
  body: string;
  /** The model the upstream says answered. */
  model?: string;
  usage?: Usage;
}

/** One thing a stream translator produces, in order. */
export type StreamOutput =
  /** JSON text of one OpenAI chunk, to be framed as `data: <json>\n\n`. */
  | { type: 'chunk'; data: string }
  /** The upstream failed mid-stream (error event, garbage it cannot get past, or a cut). */
  | { type: 'error'; error: UpstreamErrorInfo }
  /** The answer is complete: frame `data: [DONE]`. Nothing follows. */
  | { type: 'done' };

/**
 * Stateful, one per upstream stream. Bytes go in as they arrive (split anywhere); OpenAI chunks come out.
 * It owns the protocol's end: `done` only when the answer is complete; `end()` on an upstream body that
 * stopped early yields an `error`, never a quiet `done`.
 */
export interface StreamTranslator {
  push(bytes: Uint8Array): StreamOutput[];
  /** The upstream body has ended (cleanly, from the socket's point of view). */
  end(): StreamOutput[];
  /** Usage reported by the upstream so far (the final usage chunk), if any. */
  readonly usage: Usage | undefined;
  /** The model the upstream says is answering, once seen. */
  readonly model: string | undefined;
  /** Whether any chunk has been produced yet (time to first token is measured on the first). */
  readonly started: boolean;
  /** What the client has been sent so far, for continuing the answer elsewhere after a failure. */
  readonly progress: StreamProgress;
}

export interface StreamProgress {
  /** The text content of choice 0 emitted so far. */
  readonly text: string;
  /** Content chunks emitted (about one token each). */
  readonly contentChunks: number;
  /** One choice, plain text, unfinished: another deployment could continue it. */
  readonly continuable: boolean;
}

export interface ProviderAdapter {
  /** The config's `providers.<id>.type` value. */
  readonly type: string;
  readonly operations: ReadonlySet<Operation>;
  /** Pure: the upstream request for this client request and target. */
  buildRequest(req: ClientRequest, target: UpstreamTarget): UpstreamHttpRequest;
  /** Pure: a 2xx non-stream body into the OpenAI response for this operation. */
  translateResponse(req: ClientRequest, body: Buffer, target: UpstreamTarget): TranslatedResponse;
  /** A fresh translator for one streamed answer. */
  createStreamTranslator(req: ClientRequest, target: UpstreamTarget): StreamTranslator;
  /**
   * Pure: a request that makes the upstream continue an assistant answer from `prefix` (prefill), for
   * finishing a stream another deployment broke off. Undefined when the provider cannot.
   */
  buildContinuation?(req: ClientRequest, prefix: StreamProgress, target: UpstreamTarget): UpstreamHttpRequest | undefined;
  /**
   * Optional: credentials or a signature over the final request (method, path, headers, body bytes),
   * applied after translation and just before sending (SigV4 for Bedrock, an OAuth token for Vertex).
   * Synchronous where it can be: the executor awaits only a returned Promise.
   */
  authorize?(request: UpstreamHttpRequest, target: UpstreamTarget): UpstreamHttpRequest | Promise<UpstreamHttpRequest>;
  /** Pure: a non-2xx upstream response into a kind, retryability and retry delay. */
  classifyError(status: number, body: string, headers: UpstreamHeaders): UpstreamErrorInfo;
  /** A cheap GET that says whether an endpoint is up (never a paid completion). */
  readonly healthPath?: string;
}

export type UpstreamHeaders = Readonly<Record<string, string | string[] | undefined>>;
