/**
 * Reads a JSON request body once, as raw bytes (kept so an unchanged body can be forwarded as-is), and
 * parses it once. Content type and size are checked before any parsing; `__proto__` and
 * `constructor.prototype` keys are dropped so no later merge can pollute prototypes.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';

const jsonType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

export async function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const type = req.headers['content-type'];
  // No content type at all is read as JSON (curl users forget it); a different one is refused.
  if (type !== undefined && !jsonType.test(type)) {
    throw new GatewayError(
      'unsupported_media_type',
      `Unsupported Content-Type '${type.slice(0, 100)}': send the body as JSON with 'Content-Type: application/json'.`,
    );
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    throw new GatewayError(
      'unsupported_media_type',
      `Unsupported Content-Encoding '${encoding.slice(0, 50)}': send the JSON body uncompressed.`,
    );
  }
  const tooLarge = () =>
    new GatewayError('request_too_large', `Request body too large: the limit is ${limitBytes} bytes (server.body_limit).`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) throw tooLarge();
  // Plain listeners rather than an async iterator: this runs on every request.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function dropPollutingKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value) return undefined;
  return value;
}

/** Parses a request body; anything but a JSON object is a 400 the client can act on. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) {
    throw new GatewayError(
      'invalid_json',
      'The request body is empty: send a JSON object (see the OpenAI API reference for this endpoint).',
      { bodyCode: 'invalid_json' },
    );
  }
  let value: unknown;
  try {
    const text = raw.toString('utf8');
    // The reviver costs a callback per value: use it only when a dangerous key can be present.
    value = raw.includes('__proto__') || raw.includes('prototype') ? JSON.parse(text, dropPollutingKeys) : JSON.parse(text);
  } catch (err) {
    throw new GatewayError(
      'invalid_json',
      `We could not parse the JSON body of your request (${(err as Error).message}). Send a valid JSON object.`,
      { bodyCode: 'invalid_json' },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.', { bodyCode: 'invalid_type' });
  }
  return value as Record<string, unknown>;
}
