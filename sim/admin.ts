/**
 * The simulator's admin API under /sim: faults (set, list, clear), stats (read, reset) and the last
 * requests seen. Drills and tests running the simulator in another process use it; in-process users
 * call the same operations on the RunningSimulator handle. Admin calls are not counted in the stats,
 * so polling them never disturbs what they measure, and they need no API key (so credentials in the
 * recorded requests are masked here).
 */
import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { parseFaultList } from './faults.js';
import type { RecordedRequest } from './types.js';

const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'x-amz-security-token', 'proxy-authorization'];

/**
 * The admin API has no key and may listen on 0.0.0.0 (docker compose): credentials the gateway sent
 * are masked there. In-process callers get them unmasked from recentRequests(), to check forwarding.
 */
function redactCredentials(request: RecordedRequest): RecordedRequest {
  const headers = { ...request.headers };
  for (const name of CREDENTIAL_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') headers[name] = /^bearer /i.test(value) ? `${value.slice(0, 7)}[redacted]` : '[redacted]';
  }
  return { ...request, headers };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers an admin request. `body` is the parsed JSON body, or `invalidJson` when the body was
 * present but not JSON. Returns false when the path is not an admin path.
 */
export function handleAdmin(
  sim: SimContext,
  method: string,
  path: string,
  body: unknown,
  invalidJson: boolean,
  res: ServerResponse,
): boolean {
  const notAllowed = (): void => sendJson(res, 405, sim.flavor.errorBody(405, { message: `${method} is not allowed on ${path}` }));
  switch (path) {
    case '/sim/faults':
      if (method === 'GET') sendJson(res, 200, { faults: sim.faults.list() });
      else if (method === 'DELETE') {
        sim.faults.clear();
        sendJson(res, 200, { faults: [] });
      } else if (method === 'POST' || method === 'PUT') {
        const faults = invalidJson ? 'the body must be JSON' : parseFaultList(body);
        if (typeof faults === 'string') {
          sendJson(res, 400, sim.flavor.errorBody(400, { message: `invalid fault: ${faults}`, param: 'faults' }));
          return true;
        }
        sim.faults.set(faults);
        sendJson(res, 200, { faults: sim.faults.list() });
      } else notAllowed();
      return true;
    case '/sim/stats':
      if (method === 'GET') sendJson(res, 200, sim.stats());
      else if (method === 'DELETE') {
        sim.resetStats();
        sendJson(res, 200, sim.stats());
      } else notAllowed();
      return true;
    case '/sim/requests':
      if (method === 'GET') sendJson(res, 200, { requests: sim.recentRequests().map(redactCredentials) });
      else notAllowed();
      return true;
    default:
      return false;
  }
}
