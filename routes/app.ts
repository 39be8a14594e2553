/**
 * The Express application: routing of paths to handlers and nothing else. Handlers read bodies
 * themselves (once, raw, then parsed once), so no body-parser middleware runs; ETags are off because
 * completions are never cached and hashing each body costs CPU on the hot path.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../gateway/errors.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import { createOperationHandler } from './operation-handler.js';
import { createModelsHandlers } from './models.js';
import { createHealthHandlers } from './health.js';
import { createAdminHandlers } from './admin.js';
import type { GatewayDeps } from './deps.js';

function methodNotAllowed(req: Request, res: Response): void {
  assignRequestId(req, res);
  sendError(res, new GatewayError('method_not_allowed', `Invalid method for URL (${req.method} ${req.path}).`, { bodyCode: 'method_not_allowed' }));
}

export function createApp(deps: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  for (const [path, operation] of [
    ['/v1/chat/completions', 'chat'],
    ['/v1/completions', 'completions'],
    ['/v1/embeddings', 'embeddings'],
  ] as const) {
    app.post(path, createOperationHandler(operation, deps));
    app.all(path, methodNotAllowed);
  }

  // Registered after the API routes: Express tries layers in order, and completions are the hot path.
  const health = createHealthHandlers(deps);
  app.get('/health/live', health.live);
  app.get('/health/ready', health.ready);
  app.get('/metrics', health.metrics);

  const models = createModelsHandlers(deps);
  app.get('/v1/models', models.list);
  app.get('/v1/models/*model', models.get);
  app.all('/v1/models', methodNotAllowed);

  const admin = createAdminHandlers(deps);
  app.get('/admin/state', admin.state);
  app.post('/admin/deployments/:id/:action', admin.act);

  app.use((req: Request, res: Response) => {
    assignRequestId(req, res);
    sendError(res, new GatewayError('unknown_url', `Invalid URL (${req.method} ${req.path.slice(0, 200)}). The gateway serves /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models.`, { bodyCode: 'unknown_url' }));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = assignRequestId(req, res);
    // Express reports malformed URLs (bad percent-encoding) with a 400 status of its own.
    const status = (err as { status?: number } | null)?.status;
    const error = status === 400
      ? new GatewayError('invalid_request', 'The request URL is malformed.', { bodyCode: 'invalid_url' })
      : toGatewayError(err, requestId);
    if (error.code === 'internal_error') deps.logger.error({ err, requestId }, 'unexpected error');
    sendError(res, error);
  });
  return app;
}
