/**
 * GET /v1/models and /v1/models/{id}: the routes a client may call (not the upstream models behind
 * them), in OpenAI's list shape. The full list is serialised once per Runtime.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { mayUseRoute, type ClientKey } from '../gateway/access/keys.js';
import type { Runtime } from '../gateway/runtime/runtime.js';
import { authenticate } from './authenticate.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import type { GatewayDeps } from './deps.js';

interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

function entry(rt: Runtime, id: string): ModelEntry {
  return { id, object: 'model', created: rt.createdAt, owned_by: 'switchyard' };
}

const fullLists = new WeakMap<Runtime, string>();

function listBody(rt: Runtime, key: ClientKey | undefined): string {
  if (key?.routes == null) {
    let body = fullLists.get(rt);
    if (body === undefined) {
      body = JSON.stringify({ object: 'list', data: [...rt.routes.keys()].map((id) => entry(rt, id)) });
      fullLists.set(rt, body);
    }
    return body;
  }
  return JSON.stringify({ object: 'list', data: [...rt.routes.keys()].filter((id) => mayUseRoute(key, id)).map((id) => entry(rt, id)) });
}

function sendJson(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createModelsHandlers(deps: GatewayDeps) {
  return {
    list: (req: IncomingMessage, res: ServerResponse): void => {
      const requestId = assignRequestId(req, res);
      try {
        const rt = deps.runtime.current;
        sendJson(res, listBody(rt, authenticate(rt.keys, req)));
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
    get: (req: IncomingMessage & { params: { model?: string | string[] } }, res: ServerResponse): void => {
      const requestId = assignRequestId(req, res);
      try {
        const rt = deps.runtime.current;
        const key = authenticate(rt.keys, req);
        const raw = req.params.model;
        const id = Array.isArray(raw) ? raw.join('/') : (raw ?? '');
        if (!rt.routes.has(id) || !mayUseRoute(key, id)) {
          throw new GatewayError('model_not_found', `The model '${id.slice(0, 200)}' does not exist or you do not have access to it.`, {
            param: 'model',
          });
        }
        sendJson(res, JSON.stringify(entry(rt, id)));
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
  };
}
