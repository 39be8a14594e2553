/**
 * The contract between the gateway core and a provider adapter. An adapter is pure translation
 * (OpenAI request -> provider request, provider response/stream -> OpenAI) plus error classification;
 * the transport that moves the bytes sits apart (upstream/transport.ts). The core never sees a
 * provider's wire format, and adapters never see routing, breakers or HTTP servers.
 */
import type { z } from 'zod';
import type { UpstreamErrorInfo } from './upstream-error.js';
import type { FloatingModelRule } from './shared/floating-models.js';

/**
 * What a request asks for. `count_tokens` is Anthropic's token count (POST /v1/messages/count_tokens):
 * only an adapter that speaks the Messages API natively serves it, on a deployment that serves chat.
 */
export type Operation = 'chat' | 'completions' | 'embeddings' | 'count_tokens';

/** The operations of OpenAI's own API (its three inference endpoints). */
export type OpenAIOperation = Exclude<Operation, 'count_tokens'>;

/**
 * A front door's wire format other than OpenAI's (the core's own shape): the Anthropic Messages API
 * and the OpenAI Responses API. A request that came in through one carries the client's body as it
 * sent it (NativeRequest), and an adapter that speaks the same wire sends that body upstream and the
 * upstream's answer back unchanged; every other adapter sees only the translated OpenAI body.
 */
export type NativeWire = 'anthropic-messages' | 'openai-responses';

/** The client's request in its own wire format, beside the OpenAI translation the core works with. */
export interface NativeRequest {
  readonly wire: NativeWire;
  /** The client's parsed body (its `model` is the route name). Adapters must not mutate it. */
  readonly body: Readonly<Record<string, unknown>>;
  /** Its raw bytes. */
  readonly raw: Buffer;
  /** Headers of the wire the upstream should see as the client sent them (e.g. `anthropic-beta`), names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Only an upstream that speaks this wire can answer: the request uses state or features that have no
   * translation (a Responses `previous_response_id`, `store: true`). Deployments that do not are left
   * out of the plan.
   */
  readonly required: boolean;
  /** What in the request needs the wire, for the error a route without such a deployment answers (`thinking is enabled`). */
  readonly requiredBy?: readonly string[];
}

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
  /**
   * Set when the request came in through a front door other than OpenAI's: `body` is then the OpenAI
   * translation and this the client's own (see NativeRequest and ProviderAdapter.nativeWires).
   */
  native?: NativeRequest | undefined;
}

/**
 * An adapter type's own keys under `providers.<id>` (zod, strict: an unknown key is an error). The
 * config schema merges them with the keys every provider has because of the transport (base_url or
 * endpoints, headers, max_connections, connect_timeout_ms, health_check; config/schema.ts) into one
 * variant per type. A plain object schema, so that its keys can join that variant and its output is
 * exactly what the config parsed for them.
 */
export type SettingsSchema = z.ZodObject<z.ZodRawShape, z.core.$strict>;

/** What every provider is, whatever its type: the config's identity of it and its static headers. */
export interface ProviderIdentity {
  /** The provider's id in the config (`providers.<id>`). */
  readonly id: string;
  readonly type: string;
  /** Static extra headers from the config (e.g. OpenAI-Organization), names lower-cased at load. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A provider as its adapter sees it: the identity plus the parsed output of the adapter type's own
 * settings schema (`S`, e.g. `{ api_key?: string }`), built once per provider when the config loads
 * (adapters/provider-settings.ts). Secrets live here and nowhere else.
 */
export type ProviderSettings<S extends object = object> = ProviderIdentity & Readonly<S>;

/** Where one attempt goes: the exact upstream model on a provider. */
export interface UpstreamTarget<S extends object = object> {
  deploymentId: string;
  /** The upstream's model name (e.g. `gpt-4o-2024-08-06`, or a vLLM served name). */
  model: string;
  provider: ProviderSettings<S>;
}

/** What authorizing a request needs: the provider only (a health probe has no deployment). */
export interface AuthTarget<S extends object = object> {
  readonly provider: ProviderSettings<S>;
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
  /**
   * The model the upstream says answered, as it spelled it: the gateway compares it with the
   * deployment's pinned `model` (drift). Absent when the upstream named none. An adapter whose provider
   * names something else than the configured id (Azure answers with the underlying model, not the
   * deployment name) must map it back or leave this out, or every answer would count as drift.
   */
  model?: string;
  usage?: Usage;
}

/** One thing a stream translator produces, in order. */
export type StreamOutput =
  /**
   * JSON text of one OpenAI chunk, to be framed as `data: <json>\n\n`; or, on a native answer (see
   * ProviderAdapter.nativeWires), one event of the wire's own stream, `event` naming its SSE event.
   */
  | { type: 'chunk'; data: string; event?: string }
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
  /** The model the upstream says is answering, once seen (compared for drift: see TranslatedResponse.model). */
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

/**
 * One provider type's translation, generic over `S`, the output of its settings schema: every method
 * sees the provider's settings typed as the adapter declared them.
 */
export interface ProviderAdapter<S extends object = object> {
  /** The config's `providers.<id>.type` value. */
  readonly type: string;
  readonly operations: ReadonlySet<Operation>;
  /**
   * The front-door wires this adapter speaks natively. For a request whose `native.wire` is one of them,
   * buildRequest sends the client's own body (`native.raw`, its model replaced by the target's),
   * translateResponse returns the upstream's body as it came, and the stream translator yields the
   * upstream's own events (with their SSE `event` names) and is never `continuable`. See speaksNative().
   */
  readonly nativeWires?: ReadonlySet<NativeWire>;
  /** Pure: the upstream request for this client request and target, without credentials (see authorize). */
  buildRequest(req: ClientRequest, target: UpstreamTarget<S>): UpstreamHttpRequest;
  /** Pure: a 2xx non-stream body into the OpenAI response for this operation. */
  translateResponse(req: ClientRequest, body: Buffer, target: UpstreamTarget<S>): TranslatedResponse;
  /** A fresh translator for one streamed answer. */
  createStreamTranslator(req: ClientRequest, target: UpstreamTarget<S>): StreamTranslator;
  /**
   * Pure: a request that makes the upstream continue an assistant answer from `prefix` (prefill), for
   * finishing a stream another deployment broke off. Undefined when the provider cannot.
   */
  buildContinuation?(req: ClientRequest, prefix: StreamProgress, target: UpstreamTarget<S>): UpstreamHttpRequest | undefined;
  /**
   * Optional: credentials or a signature over the final request (method, path, headers, body bytes),
   * applied after translation and just before sending (a bearer key, SigV4 for Bedrock, an OAuth token
   * for Vertex). It also runs on every active health probe (upstream/health-checks.ts), so a probe
   * carries the credentials a request would. The request is the caller's own, built for this one send:
   * authorize may set headers on it and return it rather than copy it. Synchronous where it can be: the
   * executor awaits only a returned Promise.
   */
  authorize?(request: UpstreamHttpRequest, target: AuthTarget<S>): UpstreamHttpRequest | Promise<UpstreamHttpRequest>;
  /** Pure: a non-2xx upstream response into a kind, retryability and retry delay. */
  classifyError(status: number, body: string, headers: UpstreamHeaders): UpstreamErrorInfo;
  /** A cheap GET that says whether an endpoint is up (never a paid completion). */
  readonly healthPath?: string;
}

/**
 * What adapters/index.ts lists per provider type: the adapter and its settings schema, tied so that the
 * adapter receives exactly what the schema parses.
 */
export interface ProviderKind<Schema extends SettingsSchema = SettingsSchema> {
  readonly adapter: ProviderAdapter<z.output<Schema>>;
  readonly settings: Schema;
  /** The settings keys that hold credentials: redacted from any text that leaves the gateway. */
  readonly secrets: readonly (keyof z.output<Schema> & string)[];
  /**
   * How a provider of this type can continue a partial assistant answer (prefill), for the config's
   * check that every deployment declaring `capabilities: [prefill]` has a provider that can. Absent:
   * no provider of this type can.
   */
  readonly prefill?: PrefillSupport<keyof z.output<Schema> & string>;
  /**
   * Why a model id is a floating alias at this provider (adapters/shared/floating-models.ts), for the
   * config's refusal of unpinned deployments; undefined when the id is pinned. Absent: the provider's
   * model names are whatever its server loaded, and none floats.
   */
  readonly floatingModel?: FloatingModelRule;
  /**
   * Whether a provider of this type, with these settings as the config writes them, signs each request
   * over its body (Bedrock's SigV4), which the pass-through, streaming bodies unread, cannot forward:
   * the scheme, and the credential that would not sign the body; undefined when it does not. Absent:
   * credentials are headers, whatever the body.
   */
  readonly signsBody?: (settings: Readonly<Record<string, unknown>>) => { scheme: string; instead: string } | undefined;
}

/** Where a provider type's prefill style is set, its styles, and the type's own default. */
export interface PrefillSupport<Key extends string = string> {
  /** The settings key that names the style (`providers.<id>.<key>`). */
  readonly key: Key;
  /** Every style, with the servers that speak it (shown in the config error that asks for one). */
  readonly styles: Readonly<Record<string, string>>;
  /** The style of a provider of this type that sets none; undefined: it must set one to prefill. */
  readonly defaultStyle: string | undefined;
}

export type UpstreamHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Whether this adapter answers this request in the client's own wire format (ProviderAdapter.nativeWires). */
export function speaksNative(adapter: Pick<ProviderAdapter, 'nativeWires'>, req: Pick<ClientRequest, 'native'>): boolean {
  return req.native !== undefined && adapter.nativeWires !== undefined && adapter.nativeWires.has(req.native.wire);
}
