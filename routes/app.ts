/**
 * The HTTP surface: routing of paths to handlers and nothing else. Handlers read bodies themselves
 * (once, raw, then parsed once), so no body-parser middleware runs; ETags are off because completions
 * are never cached and hashing each body costs CPU on the hot path.
 *
 * The inference endpoints (OpenAI's three and the front doors') are dispatched before Express by an
 * exact-path lookup, and the pass-through by its prefix: Express's per-request prototype swap and
 * layer walk cost ~200 µs of CPU per request here (`npm run bench`), most of the gateway's budget.
 * Every other path, and any variant of the inference paths (query string, trailing slash, other
 * method), goes through the Express app, which registers the same handlers.
 *
 * With `server.ops_port`, the operations endpoints get a listener of their own: the public one serves
 * the API and /health/* (load balancers probe the port they send traffic to), the ops one /health/*,
 * /metrics and /admin/*; each answers 404 for the other's paths.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import { createInferenceHandler } from './inference.js';
import { createPassthroughHandler } from './passthrough.js';
import { createDoorHandler } from './door.js';
import { frontDoors } from '../adapters/front-doors.js';
import { RequestPipeline } from '../gateway/request.js';
import { requestLogger } from '../telemetry/logger.js';
import { createModelsHandlers } from './models.js';
import { createHealthHandlers } from './health.js';
import { createAdminHandlers } from './admin.js';
import { createSimulatorAdminHandlers } from './admin-simulators.js';
import { createCanaryAdminHandlers } from './admin-canaries.js';
import type { GatewayDeps } from './deps.js';

/** Which endpoints a listener serves: all of them, the API side only, or the operations side only. */
export type Surface = 'all' | 'api' | 'ops';

function methodNotAllowed(req: Request, res: Response): void {
  assignRequestId(req, res);
  sendError(
    res,
    new GatewayError('method_not_allowed', `Invalid method for URL (${req.method} ${req.path}).`, { bodyCode: 'method_not_allowed' }),
  );
}

/** GET/DELETE /v1/responses/{id}, …/cancel, …/input_items: state the gateway does not keep. */
function storedResponses(req: Request, res: Response): void {
  assignRequestId(req, res);
  sendError(
    res,
    new GatewayError(
      'unknown_url',
      `The gateway's /v1/responses is stateless: it keeps no responses, so ${req.method} ${req.path.slice(0, 200)} has nothing to read. A response stored at OpenAI is reached through the pass-through (/passthrough/{provider}/v1/responses/…, where the config's passthrough entry for that provider allows /v1/responses).`,
      { bodyCode: 'unknown_url' },
    ),
  );
}

type OperationHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The request listener for a server: hot POST paths straight to their handlers, the rest to Express. */
export function createRequestListener(deps: GatewayDeps, surface: Surface = 'all'): RequestListener {
  const operations = new Map<string, OperationHandler>();
  if (surface !== 'ops') {
    const pipeline = new RequestPipeline({ telemetry: deps.telemetry, requestLog: requestLogger(deps.logger), random: deps.random });
    operations.set('/v1/chat/completions', createInferenceHandler('chat', deps, pipeline));
    operations.set('/v1/completions', createInferenceHandler('completions', deps, pipeline));
    operations.set('/v1/embeddings', createInferenceHandler('embeddings', deps, pipeline));
    // The other APIs clients speak (Anthropic's Messages, OpenAI's Responses), through the same pipeline.
    for (const door of frontDoors) operations.set(door.path, createDoorHandler(door, deps, pipeline));
  }
  const app = createApp(deps, operations, surface);
  // Native endpoints forwarded untranslated (routes/passthrough.ts; upgrades: routes/passthrough-upgrade.ts),
  // every method, by prefix before Express too: its path checks read the raw URL, and Express would only add cost.
  const passthrough = surface === 'ops' ? undefined : createPassthroughHandler(deps);
  const { state } = deps;
  return (req, res) => {
    // Once the listener is closed, every answer closes its connection, so keep-alive clients reconnect (elsewhere).
    if (state.shuttingDown && surface !== 'ops') res.setHeader('connection', 'close');
    let handler = req.method === 'POST' ? operations.get(req.url!) : undefined;
    if (handler === undefined && passthrough !== undefined && req.url!.startsWith('/passthrough/')) handler = passthrough;
    if (handler) handler(req, res).catch((err: unknown) => sendUnexpected(deps, err, req, res));
    else app(req, res);
  };
}

/** Answers an error no handler caught (a bug): logged with the request id, a 500 to the client. */
function sendUnexpected(deps: GatewayDeps, err: unknown, req: IncomingMessage, res: ServerResponse): void {
  const requestId = assignRequestId(req, res);
  const error = toGatewayError(err, requestId);
  if (error.code === 'internal_error') deps.logger.error({ err, requestId }, 'unexpected error');
  sendError(res, error);
}

function createApp(deps: GatewayDeps, operations: ReadonlyMap<string, OperationHandler>, surface: Surface): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  for (const [path, handler] of operations) {
    app.post(path, handler);
    app.all(path, methodNotAllowed);
  }

  // Registered after the API routes: Express tries layers in order, and completions are the hot path.
  const health = createHealthHandlers(deps);
  app.get('/health/live', health.live);
  app.get('/health/ready', health.ready);

  if (surface !== 'ops') {
    const models = createModelsHandlers(deps);
    app.get('/v1/models', models.list);
    app.get('/v1/models/*model', models.get);
    app.all('/v1/models', methodNotAllowed);
    app.all('/v1/responses/*rest', storedResponses);
  }

  if (surface !== 'api') {
    app.get('/metrics', health.metrics);
    const admin = createAdminHandlers(deps);
    app.get('/admin/state', admin.state);
    app.post('/admin/deployments/:id/:action', admin.act);
    app.post('/admin/reload', admin.reload);
    app.get('/admin/keys', admin.keys);
    app.get('/admin/keys/:name', admin.keys);
    const canaries = createCanaryAdminHandlers(deps);
    app.get('/admin/canaries', canaries.list);
    app.get('/admin/canaries/:route', canaries.list);
    app.post('/admin/canaries/:route/:action', canaries.act);
    const simulators = createSimulatorAdminHandlers(deps);
    app.get('/admin/simulators', simulators.list);
    app.all('/admin/simulators/:name/:what', simulators.forward);
  }

  const served =
    surface === 'ops'
      ? 'This is the operations listener (server.ops_port): it serves /health/live, /health/ready, /metrics and /admin/*; the API is on the public port.'
      : 'The gateway serves /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /v1/messages (Anthropic), /v1/messages/count_tokens, /v1/responses and the /passthrough/{provider}/ entries its config lists.';
  app.use((req: Request, res: Response) => {
    assignRequestId(req, res);
    sendError(
      res,
      new GatewayError('unknown_url', `Invalid URL (${req.method} ${req.path.slice(0, 200)}). ${served}`, { bodyCode: 'unknown_url' }),
    );
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // Express reports malformed URLs (bad percent-encoding) with a 400 status of its own.
    if ((err as { status?: number } | null)?.status === 400) {
      assignRequestId(req, res);
      sendError(res, new GatewayError('invalid_request', 'The request URL is malformed.', { bodyCode: 'invalid_url' }));
    } else {
      sendUnexpected(deps, err, req, res);
    }
  });
  return app;
}
