import { describe, expect, it } from 'vitest';
import { classifyError, classifyErrorPayload } from '../../../adapters/openai-compatible/errors.js';
import type { UpstreamErrorKind } from '../../../adapters/upstream-error.js';

const json = (v: unknown): string => JSON.stringify(v);
const openaiError = (message: string, code: string | null, type = 'invalid_request_error', param: string | null = null): string =>
  json({ error: { message, type, param, code } });

describe('classifyError: kinds', () => {
  it.each<[string, number, string, UpstreamErrorKind, boolean]>([
    ['429 rate limit', 429, openaiError('Rate limit reached for gpt-4o', 'rate_limit_exceeded', 'requests'), 'rate_limited', true],
    ['429 TGI overloaded', 429, json({ error: 'Model is overloaded', error_type: 'overloaded' }), 'overloaded', true],
    [
      '429 insufficient_quota',
      429,
      openaiError('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota'),
      'rate_limited',
      true,
    ],
    ['503 overloaded', 503, openaiError('The engine is currently overloaded', null, 'server_error'), 'overloaded', true],
    [
      '503 llama.cpp loading model',
      503,
      json({ error: { code: 503, message: 'Loading model', type: 'unavailable_error' } }),
      'overloaded',
      true,
    ],
    ['529 overloaded', 529, json({ error: { type: 'overloaded_error', message: 'Overloaded' } }), 'overloaded', true],
    ['500 server', 500, openaiError('The server had an error', null, 'server_error'), 'server', true],
    ['502 server', 502, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'server', true],
    ['504 timeout', 504, '', 'timeout', true],
    ['408 timeout', 408, json({ error: 'Request timeout' }), 'timeout', true],
    ['401 auth', 401, openaiError('Incorrect API key provided: sk-****abcd.', 'invalid_api_key'), 'auth', true],
    [
      '403 auth',
      403,
      openaiError('Country, region, or territory not supported', 'unsupported_country_region_territory', 'request_forbidden'),
      'auth',
      true,
    ],
    [
      '404 not found (vLLM int code)',
      404,
      json({ error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: null, code: 404 } }),
      'not_found',
      true,
    ],
    ['404 Ollama string', 404, json({ error: 'model "llama9" not found, try pulling it first' }), 'not_found', true],
    [
      '400 context_length_exceeded code',
      400,
      openaiError("This model's maximum context length is 128000 tokens.", 'context_length_exceeded', 'invalid_request_error', 'messages'),
      'context_length',
      false,
    ],
    [
      '400 vLLM maximum context length',
      400,
      json({
        error: {
          message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens",
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      }),
      'context_length',
      false,
    ],
    [
      '400 SGLang flat context length',
      400,
      json({
        object: 'error',
        message: "The input (9000 tokens) is longer than the model's context length (8192 tokens).",
        type: 'BadRequestError',
        param: null,
        code: 400,
      }),
      'context_length',
      false,
    ],
    [
      '400 llama.cpp exceed_context_size_error',
      400,
      json({
        error: {
          code: 400,
          message: 'the request exceeds the available context size, try increasing it',
          type: 'exceed_context_size_error',
        },
      }),
      'context_length',
      false,
    ],
    ['413 too many tokens', 413, json({ error: { message: 'Request has too many tokens' } }), 'context_length', false],
    [
      '422 TGI validation: tokens + max_new_tokens',
      422,
      json({
        error:
          'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 1000 `max_new_tokens`',
        error_type: 'validation',
      }),
      'context_length',
      false,
    ],
    [
      '400 prompt is too long',
      400,
      json({ error: { message: 'prompt is too long: 210000 tokens > 200000 maximum' } }),
      'context_length',
      false,
    ],
    [
      '400 content_filter code (Azure)',
      400,
      json({
        error: {
          code: 'content_filter',
          message: 'The response was filtered',
          param: 'prompt',
          status: 400,
          innererror: { code: 'ResponsibleAIPolicyViolation' },
        },
      }),
      'content_filter',
      false,
    ],
    [
      '400 other bad request',
      400,
      openaiError("Invalid value for 'temperature'", 'invalid_value', 'invalid_request_error', 'temperature'),
      'bad_request',
      false,
    ],
    [
      '422 TGI other validation',
      422,
      json({ error: 'Input validation error: `temperature` must be strictly positive', error_type: 'validation' }),
      'bad_request',
      false,
    ],
    ['413 without a context message', 413, 'Payload Too Large', 'bad_request', false],
    ['409 other 4xx', 409, '', 'bad_request', false],
    [
      '424 TGI generation',
      424,
      json({ error: 'Request failed during generation: Server error: CUDA out of memory', error_type: 'generation' }),
      'server',
      true,
    ],
    ['302 redirect', 302, '', 'server', true],
    ['507 other 5xx', 507, '', 'server', true],
  ])('%s', (_name, status, body, kind, retryable) => {
    const info = classifyError(status, body, {});
    expect(info.kind).toBe(kind);
    expect(info.retryable).toBe(retryable);
    expect(info.status).toBe(status);
  });
});

describe('classifyError: fields', () => {
  it('keeps the message, type-free, with a string code and the param', () => {
    const info = classifyError(400, openaiError('bad temperature', 'invalid_value', 'invalid_request_error', 'temperature'), {});
    expect(info).toEqual({
      kind: 'bad_request',
      retryable: false,
      status: 400,
      message: 'bad temperature',
      code: 'invalid_value',
      param: 'temperature',
    });
  });

  it.each([
    ['vLLM current {error:{code:int}}', json({ error: { message: 'm', type: 'BadRequestError', param: 'n', code: 400 } }), 'm', '400', 'n'],
    ['vLLM old flat', json({ object: 'error', message: 'm', type: 'BadRequestError', param: null, code: 400 }), 'm', '400', null],
    ['TGI string', json({ error: 'm', error_type: 'validation' }), 'm', null, null],
    ['llama.cpp', json({ error: { code: 500, message: 'm', type: 'server_error' } }), 'm', '500', null],
    ['Ollama', json({ error: 'm' }), 'm', null, null],
    ['FastAPI detail', json({ detail: 'm' }), 'm', null, null],
    ['FastAPI validation detail', json({ detail: [{ loc: ['body', 'model'], msg: 'm', type: 'missing' }] }), 'm', null, null],
  ])('reads %s', (_name, body, message, code, param) => {
    const info = classifyError(400, body, {});
    expect(info.message).toBe(message);
    expect(info.code).toBe(code);
    expect(info.param).toBe(param);
  });

  it('integer codes never leak', () => {
    expect(typeof classifyError(500, json({ error: { code: 500, message: 'x' } }), {}).code).toBe('string');
  });

  it('describes non-JSON and empty bodies by status and a short snippet', () => {
    expect(classifyError(502, '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', {}).message).toBe(
      'HTTP 502: 502 Bad Gateway nginx',
    );
    expect(classifyError(500, '', {}).message).toBe('HTTP 500 with an empty body');
    expect(classifyError(500, 'x'.repeat(1000), {}).message.length).toBeLessThanOrEqual('HTTP 500: '.length + 200);
    expect(classifyError(500, json({ unrelated: true }), {}).message).toBe('HTTP 500: {"unrelated":true}');
  });

  it('trims long upstream messages to 500 characters', () => {
    expect(classifyError(400, json({ error: { message: 'y'.repeat(2000) } }), {}).message).toHaveLength(500);
  });

  it('says that a redirect was not followed', () => {
    expect(classifyError(301, '', { location: 'http://elsewhere/' }).message).toMatch(/redirect.*never follows/);
  });

  it('takes retryAfterMs from retry-after-ms, else retry-after', () => {
    expect(classifyError(429, '', { 'retry-after-ms': '1500.5', 'retry-after': '9' }).retryAfterMs).toBe(1501);
    expect(classifyError(503, '', { 'retry-after': '3' }).retryAfterMs).toBe(3000);
    expect(classifyError(429, '', { 'retry-after': 'garbage' }).retryAfterMs).toBeUndefined();
    expect(classifyError(429, '', {}).retryAfterMs).toBeUndefined();
  });

  it('gives no retry-after for an exhausted quota', () => {
    const info = classifyError(429, openaiError('quota', 'insufficient_quota', 'insufficient_quota'), { 'retry-after': '20' });
    expect(info.kind).toBe('rate_limited');
    expect(info.retryAfterMs).toBeUndefined();
  });

  it('copies nothing from request headers into the message', () => {
    const info = classifyError(401, '', { authorization: 'Bearer sk-secret' });
    expect(JSON.stringify(info)).not.toContain('sk-secret');
  });

  it('survives a hostile body', () => {
    const info = classifyError(400, '{"__proto__":{"polluted":true},"error":{"message":"m"}}', {});
    expect(info.message).toBe('m');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('classifyErrorPayload (mid-stream and 200-with-error)', () => {
  it.each<[string, unknown, UpstreamErrorKind, string | null]>([
    [
      'vLLM object with int code 400',
      { error: { object: 'error', message: 'bad', type: 'BadRequestError', param: null, code: 400 } },
      'bad_request',
      '400',
    ],
    ['vLLM 500', { error: { message: 'engine dead', type: 'InternalServerError', code: 500 } }, 'server', '500'],
    ['TGI http_status_code 422', { error: { message: 'Input validation error', http_status_code: 422 } }, 'bad_request', null],
    ['TGI string with error_type', { error: 'Request failed during generation', error_type: 'generation' }, 'server', null],
    ['llama.cpp', { error: { code: 500, message: 'slot unavailable', type: 'server_error' } }, 'server', '500'],
    ['SGLang flat nested', { error: { message: 'boom', type: 'InternalServerError' } }, 'server', null],
    ['no status at all', { error: 'something broke' }, 'server', null],
    ['stated 503', { error: { message: 'busy', code: 503 } }, 'overloaded', '503'],
  ])('%s', (_name, payload, kind, code) => {
    const info = classifyErrorPayload(payload);
    expect(info.kind).toBe(kind);
    expect(info.code).toBe(code);
    expect(info.message.length).toBeGreaterThan(0);
  });
});
