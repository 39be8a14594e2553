/**
 * Client authentication: `Authorization: Bearer <key>` (what the OpenAI SDKs send), `api-key: <key>`
 * (Azure OpenAI clients) or `x-api-key: <key>` (Anthropic clients). With no keys configured the gateway
 * is open, as the demo is.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';
import type { ClientKey, KeyIndex } from '../gateway/access/keys.js';

export function presentedKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(auth);
    return match ? match[1]!.trim() : undefined;
  }
  const apiKey = req.headers['api-key'] ?? req.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export function authenticate(keys: KeyIndex, req: IncomingMessage): ClientKey | undefined {
  if (!keys.required) return undefined;
  const presented = presentedKey(req);
  if (presented === undefined || presented.length === 0) {
    throw new GatewayError(
      'invalid_api_key',
      "You didn't provide an API key. Send one of the gateway's keys as 'Authorization: Bearer <key>' (or an 'api-key' or 'x-api-key' header).",
      { bodyCode: 'missing_api_key' },
    );
  }
  const key = keys.lookup(presented);
  // Never echo the presented key, not even a prefix.
  if (!key)
    throw new GatewayError('invalid_api_key', 'Incorrect API key provided. Use a key configured in the gateway (ask its operator).', {
      bodyCode: 'invalid_api_key',
    });
  return key;
}
