/**
 * The admin API's door to the config's in-process simulators (`simulators:`, the demo's upstreams): list
 * them, and forward `/admin/simulators/{name}/{faults|stats|requests}` to that simulator's own /sim API
 * (same methods, bodies and answers as a separate `switchyard sim` process). The simulators listen on
 * ephemeral loopback ports, so this is how a newcomer breaks the demo with one curl at a known URL, and
 * how anyone reaches them when only the gateway's port is published (Docker). Behind the admin key like
 * the rest of /admin: faulting upstreams is an operator's act.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { authorize } from './admin.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import type { GatewayDeps } from './deps.js';

/** The simulator admin paths that are forwarded, and the methods each takes. */
const forwarded: Record<string, readonly string[]> = {
  faults: ['GET', 'POST', 'PUT', 'DELETE'],
  stats: ['GET', 'DELETE'],
  requests: ['GET'],
};

/** A fault list is a few hundred bytes; anything near this is not one. */
const bodyLimitBytes = 64 * 1024;

/** Reads the body whatever its content type: `curl -d` sends JSON as form-urlencoded, and the simulator reads JSON anyway. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyLimitBytes) {
        req.pause();
        reject(new GatewayError('request_too_large', `A simulator fault list must be under ${bodyLimitBytes} bytes.`));
      } else chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

export function createSimulatorAdminHandlers(deps: GatewayDeps) {
  return {
    list: (req: IncomingMessage, res: ServerResponse): void => {
      assignRequestId(req, res);
      if (!authorize(deps.runtime.current, req, res)) return;
      const simulators = [...deps.simulators].map(([name, s]) => ({
        name,
        kind: s.kind,
        model: s.model,
        url: `${s.origin}/v1`,
        faults: `/admin/simulators/${name}/faults`,
      }));
      const body = JSON.stringify({ simulators });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    },
    forward: async (req: IncomingMessage & { params: { name?: string; what?: string } }, res: ServerResponse): Promise<void> => {
      const requestId = assignRequestId(req, res);
      try {
        if (!authorize(deps.runtime.current, req, res)) return;
        const name = req.params.name ?? '';
        const sim = deps.simulators.get(name);
        if (!sim)
          throw new GatewayError(
            'model_not_found',
            `No simulator '${name.slice(0, 100)}' in the config (simulators:). GET /admin/simulators lists them.`,
            { bodyCode: 'simulator_not_found' },
          );
        const what = req.params.what ?? '';
        const methods = forwarded[what];
        if (!methods)
          throw new GatewayError('unknown_url', `Unknown simulator endpoint '${what.slice(0, 40)}': use faults, stats or requests.`, {
            bodyCode: 'unknown_url',
          });
        const method = req.method ?? 'GET';
        if (!methods.includes(method))
          throw new GatewayError('method_not_allowed', `${method} is not allowed on /admin/simulators/${name}/${what}.`, {
            bodyCode: 'method_not_allowed',
          });
        const body = method === 'GET' || method === 'DELETE' ? undefined : await readBody(req);
        const answer = await fetch(`${sim.origin}/sim/${what}`, {
          method,
          ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
        });
        const text = await answer.text();
        if (method !== 'GET')
          deps.logger.warn({ simulator: name, endpoint: what, method, status: answer.status, requestId }, 'admin simulator change');
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        });
        res.end(text);
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
  };
}
