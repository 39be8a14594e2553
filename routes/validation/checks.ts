/**
 * Small checks for request bodies, with OpenAI's wording and codes so that a client sees the same
 * kind of 400 it would from OpenAI: `param` names the field (`messages[2].role`), the message says
 * what was expected and what came instead.
 */
import { GatewayError } from '../../gateway/errors/catalogue.js';

export type Body = Record<string, unknown>;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a decimal';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

export function invalidType(param: string, expected: string, value: unknown): GatewayError {
  return new GatewayError('invalid_request', `Invalid type for '${param}': expected ${expected}, but got ${describe(value)} instead.`, {
    param,
    bodyCode: 'invalid_type',
  });
}

export function invalidValue(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `Invalid '${param}': ${message}`, { param, bodyCode: 'invalid_value' });
}

export function missing(param: string): GatewayError {
  return new GatewayError('invalid_request', `Missing required parameter: '${param}'.`, { param, bodyCode: 'missing_required_parameter' });
}

export function isObject(value: unknown): value is Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function requireString(body: Body, key: string, param = key): string {
  const v = body[key];
  if (v === undefined) throw missing(param);
  if (typeof v !== 'string') throw invalidType(param, 'a string', v);
  if (v.length === 0) throw invalidValue(param, 'must not be empty.');
  return v;
}

export function optionalString(body: Body, key: string, param = key): void {
  const v = body[key];
  if (v !== undefined && v !== null && typeof v !== 'string') throw invalidType(param, 'a string', v);
}

export function optionalBoolean(body: Body, key: string, param = key): void {
  const v = body[key];
  if (v !== undefined && v !== null && typeof v !== 'boolean') throw invalidType(param, 'a boolean', v);
}

export function optionalNumber(body: Body, key: string, min: number, max: number, integer = false): void {
  const v = body[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidType(key, integer ? 'an integer' : 'a decimal', v);
  if (integer && !Number.isInteger(v)) throw invalidType(key, 'an integer', v);
  if (v < min)
    throw invalidValue(key, `${integer ? 'integer' : 'decimal'} below minimum value. Expected a value >= ${min}, but got ${v} instead.`);
  if (v > max)
    throw invalidValue(key, `${integer ? 'integer' : 'decimal'} above maximum value. Expected a value <= ${max}, but got ${v} instead.`);
}

export function optionalEnum(body: Body, key: string, allowed: readonly string[], param = key): void {
  const v = body[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw invalidType(param, 'a string', v);
  if (!allowed.includes(v)) throw invalidValue(param, `'${v.slice(0, 64)}' is not one of ${allowed.map((a) => `'${a}'`).join(', ')}.`);
}

export function optionalObject(body: Body, key: string): Body | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidType(key, 'an object', v);
  return v;
}

/** `stop`: a string, or an array of 1 to 4 strings, or null. */
export function optionalStop(body: Body): void {
  const v = body.stop;
  if (v === undefined || v === null || typeof v === 'string') return;
  if (!Array.isArray(v)) throw invalidType('stop', 'a string or an array of strings', v);
  if (v.length > 4)
    throw invalidValue(
      'stop',
      `array too long. Expected an array with maximum length 4, but got an array with length ${v.length} instead.`,
    );
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw invalidType(`stop[${i}]`, 'a string', s);
  });
}

/** `stream` and `stream_options`, which is only allowed with streaming on. */
export function streamFlags(body: Body): { stream: boolean; includeUsage: boolean } {
  optionalBoolean(body, 'stream');
  const stream = body.stream === true;
  const options = optionalObject(body, 'stream_options');
  if (options !== undefined && !stream) {
    throw invalidValue('stream_options', "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
  }
  if (options !== undefined) optionalBoolean(options, 'include_usage', 'stream_options.include_usage');
  return { stream, includeUsage: options?.include_usage === true };
}
