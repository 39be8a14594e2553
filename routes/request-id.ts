/**
 * Every response carries `x-request-id`: the client's own when it sent a sane one (so its logs and ours
 * join up), otherwise one we make, shaped like OpenAI's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const sane = /^[\w.:@/+=-]{1,128}$/;

export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && sane.test(given) ? given : `req_${randomUUID().replaceAll('-', '')}`;
  res.setHeader('x-request-id', id);
  return id;
}
