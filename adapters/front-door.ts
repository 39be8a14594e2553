/**
 * The contract of a front door: an inbound API other than OpenAI's Chat Completions (the Anthropic
 * Messages API, the OpenAI Responses API) that clients speak to the gateway. A door is pure
 * translation, like an adapter in the other direction: it validates the client's body and makes the
 * core's OpenAI-shaped request from it (keeping the client's own as `native`), and it turns the core's
 * answer back into its wire: the upstream's own bytes when the deployment spoke the wire natively, a
 * translation of the OpenAI answer otherwise. routes/door.ts serves every door the same way (keys,
 * limits, routing, failover, metrics); the doors are listed in adapters/front-doors.ts.
 */
import type { ClientRequest, NativeWire, Operation, UpstreamHeaders } from './types.js';

/** An error as a door words it: the gateway's error, in neutral terms (no gateway types cross here). */
export interface DoorError {
  readonly status: number;
  /** OpenAI's error `type` (invalid_request_error, rate_limit_error, api_error, ...). */
  readonly type: string;
  /** The gateway's stable code (`rate_limit_exceeded`, `model_not_found`, ...). */
  readonly code: string | null;
  readonly message: string;
  readonly param: string | null;
}

/** A client body the door refuses: answered as a 400 `invalid_request` naming `param`. */
export class DoorRequestError extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'DoorRequestError';
  }
}

/** What a door made of a client's request. */
export interface DoorRequest {
  /** The route name the client asked for (its `model`). */
  readonly model: string;
  readonly stream: boolean;
  /** The core's request: an OpenAI body translated from the client's, the client's own in `native`. */
  readonly request: ClientRequest;
}

export interface FrontDoor {
  readonly wire: NativeWire;
  /** The path it serves, e.g. `/v1/messages`. */
  readonly path: string;
  /** The core operation its requests are (`chat`, or `count_tokens`). */
  readonly operation: Operation;
  /** A response header that repeats the request id, for clients that read their own (Anthropic's `request-id`). */
  readonly requestIdHeader?: string;
  /**
   * Why a route that cannot answer this operation natively cannot answer it at all (count_tokens: no
   * estimate is honest), or undefined when translation serves it. Answered as a 501.
   */
  readonly nativeOnly?: string;
  /**
   * What a client whose request only a deployment speaking this wire can answer (NativeRequest.required)
   * should do on a route without one: appended to that 400.
   */
  readonly nativeRequired?: string;
  /** Validates the client's body (parsed once by routes/) and builds the core's request; throws DoorRequestError. */
  accept(body: Readonly<Record<string, unknown>>, raw: Buffer, headers: UpstreamHeaders): DoorRequest;
  /** The client's non-stream answer: `body` as it is when `native`, else translated from the core's OpenAI JSON. */
  answer(body: string, native: boolean, req: DoorRequest): string;
  /** A fresh encoder for one streamed answer. */
  createStreamEncoder(req: DoorRequest): DoorStreamEncoder;
  /** An error response body in the wire's shape. */
  errorBody(error: DoorError): string;
}

/** Stateful, one per streamed answer: the core's stream in, the door's Server-Sent Events out. */
export interface DoorStreamEncoder {
  /**
   * SSE text for one chunk of the core's stream: when `native`, the wire's own event (`event` names it)
   * framed as it is; otherwise the frames translated from one OpenAI chunk (possibly none, possibly several).
   */
  chunk(data: string, event: string | undefined, native: boolean): string;
  /** SSE text that ends a complete answer (the closing events of a translated one; '' when native: they came from upstream). */
  done(native: boolean): string;
  /** SSE text for an error that ends an incomplete answer. */
  fail(error: DoorError): string;
}
