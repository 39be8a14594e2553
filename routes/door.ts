/**
 * The HTTP side of a front door (adapters/front-door.ts: the Anthropic Messages API, the OpenAI
 * Responses API): the same way through the gateway as /v1/chat/completions (key, limits, route,
 * canary, failover, metrics, the request line, graceful shutdown), with the door translating the
 * client's body into the core's request and the core's answer, stream and errors back into its wire.
 * When the deployment that answers speaks the door's wire natively, its bytes pass as they came.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DoorRequestError, type DoorError, type DoorRequest, type DoorStreamEncoder, type FrontDoor } from '../adapters/front-door.js';
import { speaksNative, type NativeRequest } from '../adapters/types.js';
import { GatewayError } from '../gateway/errors/catalogue.js';
import type { StreamOpening } from '../gateway/execute/sink.js';
import { resolveRoute } from '../gateway/routing/resolve.js';
import type { ClientKey } from '../gateway/access/keys.js';
import type { Runtime } from '../gateway/runtime/runtime.js';
import type { RouteRuntime } from '../gateway/runtime/types.js';
import { newRequestRecord, type Inference, type RequestPipeline, type RequestRecord } from '../gateway/request.js';
import { authenticate } from './authenticate.js';
import { parseJsonObject, readRawBody } from './json-body.js';
import { assignRequestId } from './request-id.js';
import { answerHeaders } from './outcome-headers.js';
import { SseSink } from './sse-sink.js';
import { serveExchange } from './serve-exchange.js';
import type { GatewayDeps } from './deps.js';

function doorError(error: GatewayError): DoorError {
  return { status: error.status, type: error.type, code: error.bodyCode, message: error.message, param: error.param };
}

/** Server-Sent Events in the door's wire: each core chunk through the door's encoder. */
class DoorSink extends SseSink {
  private native = false;

  constructor(
    res: ServerResponse,
    record: RequestRecord,
    private readonly encoder: DoorStreamEncoder,
  ) {
    super(res, record);
  }

  override open(answer: StreamOpening): void {
    this.native = answer.native;
    super.open(answer);
  }

  override chunk(json: string, event?: string): boolean {
    const frames = this.encoder.chunk(json, event, this.native);
    return frames === '' || this.write(frames);
  }

  override done(): void {
    this.res.end(this.encoder.done(this.native));
  }

  override fail(error: GatewayError): void {
    this.res.end(this.encoder.fail(doorError(error)));
  }
}

function accept(door: FrontDoor, body: Readonly<Record<string, unknown>>, raw: Buffer, req: IncomingMessage): DoorRequest {
  try {
    return door.accept(body, raw, req.headers);
  } catch (err) {
    if (err instanceof DoorRequestError) throw new GatewayError('invalid_request', err.message, { param: err.param });
    throw err;
  }
}

/** Every deployment a request on the route may reach: targets, fallbacks and a canary's targets. */
function routeDeployments(route: RouteRuntime) {
  return [...route.targets, ...route.fallbacks, ...(route.canary?.view.targets ?? [])];
}

/**
 * Refuses, before anything is planned, what the route cannot answer: an operation only a native
 * deployment serves (count_tokens: 501, no estimate is honest) and a request whose features have no
 * translation on a route without a deployment that speaks the door's wire (400).
 */
function checkRoute(rt: Runtime, door: FrontDoor, accepted: DoorRequest, key: ClientKey | undefined): void {
  const route = resolveRoute(rt, accepted.model, key, door.operation === 'count_tokens' ? 'chat' : door.operation);
  if (door.nativeOnly !== undefined && !route.operations.has(door.operation)) {
    throw new GatewayError('not_implemented', `The model '${route.name}' cannot answer ${door.path}. ${door.nativeOnly}`);
  }
  const native: NativeRequest | undefined = accepted.request.native;
  if (native?.required === true && !routeDeployments(route).some((d) => speaksNative(d.provider.adapter, { native }))) {
    const because = native.requiredBy?.length ? ` (${native.requiredBy.slice(0, 5).join('; ')})` : '';
    throw new GatewayError(
      'native_required',
      `The route '${route.name}' has no deployment that speaks this API natively, and this request cannot be translated for the others${because}. ${door.nativeRequired ?? ''}`.trim(),
    );
  }
}

export function createDoorHandler(door: FrontDoor, deps: GatewayDeps, pipeline: RequestPipeline) {
  const format = (error: GatewayError): string => door.errorBody(doorError(error));
  // The metrics' `operation` label and the request line name the API: `messages`, `count_tokens`, `responses`.
  const api = door.path.slice(door.path.lastIndexOf('/') + 1);

  return async function serveDoor(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = assignRequestId(req, res);
    if (door.requestIdHeader !== undefined) res.setHeader(door.requestIdHeader, requestId);
    const record = newRequestRecord(door.operation, performance.now(), requestId, api);
    const rt = deps.runtime.current;
    await serveExchange(
      deps,
      pipeline,
      record,
      res,
      async (exchange, opened) => {
        const key = authenticate(rt.keys, req);
        record.keyName = key?.name;
        const raw = await readRawBody(req, rt.bodyLimitBytes);
        const accepted = accept(door, parseJsonObject(raw), raw, req);
        record.stream = accepted.stream;
        checkRoute(rt, door, accepted, key);
        const inference: Inference = {
          model: accepted.model,
          key,
          client: exchange.client,
          headers: req.headers,
          request: accepted.request,
        };
        if (accepted.stream) {
          const sink = new DoorSink(res, record, door.createStreamEncoder(accepted));
          opened.sink = sink;
          await pipeline.stream(rt, inference, sink, record);
        } else {
          const answer = await pipeline.unary(rt, inference, record);
          const body = door.answer(answer.body, answer.native, accepted);
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...answerHeaders(record, answer),
          });
          res.end(body);
        }
      },
      format,
    );
  };
}
