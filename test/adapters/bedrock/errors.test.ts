/** Bedrock's errors, by status, header, `__type` and message, into the gateway's kinds. */
import { describe, expect, it } from 'vitest';
import { classifyError, classifyStreamException, errorNameOf } from '../../../adapters/bedrock/errors.js';

const header = (name: string) => ({ 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

describe('classifyError', () => {
  it.each([
    [429, 'ThrottlingException', 'Too many requests', 'rate_limited', true],
    [429, 'ModelNotReadyException', 'Model is not ready', 'overloaded', true],
    [503, 'ServiceUnavailableException', 'unavailable', 'overloaded', true],
    [408, 'ModelTimeoutException', 'timed out', 'timeout', true],
    [400, 'ValidationException', 'Malformed input request', 'bad_request', false],
    [400, 'ValidationException', 'Input is too long for requested model.', 'context_length', false],
    [400, 'ValidationException', 'The prompt is too long: too many input tokens', 'context_length', false],
    [403, 'AccessDeniedException', 'no access', 'auth', true],
    [403, 'UnrecognizedClientException', 'invalid token', 'auth', true],
    [404, 'ResourceNotFoundException', 'not found', 'not_found', true],
    [424, 'ModelErrorException', 'model error', 'server', true],
    [500, 'InternalServerException', 'internal', 'server', true],
  ])('%i %s -> %s', (status, name, message, kind, retryable) => {
    const info = classifyError(status, JSON.stringify({ message }), header(name));
    expect(info).toMatchObject({ kind, retryable, status, code: name, message });
  });

  it('takes the name from __type when the header is missing, and the status alone when neither says', () => {
    expect(classifyError(400, '{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}', {}).code).toBe(
      'ValidationException',
    );
    expect(classifyError(429, '{"Message":"slow down"}', {})).toMatchObject({ kind: 'rate_limited', message: 'slow down', code: null });
  });

  it('honours a Retry-After a proxy adds, and reads a body that is not JSON', () => {
    expect(classifyError(429, '{}', { ...header('ThrottlingException'), 'retry-after': '3' }).retryAfterMs).toBe(3000);
    expect(classifyError(502, '<html><body>Bad Gateway</body></html>', {})).toMatchObject({ kind: 'server', message: 'Bad Gateway' });
    expect(classifyError(500, '', {}).message).toBe('HTTP 500 with an empty body');
  });

  it('errorNameOf strips namespaces either way', () => {
    expect(errorNameOf('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/')).toBe('ThrottlingException');
    expect(errorNameOf('com.amazon.coral.service#UnrecognizedClientException')).toBe('UnrecognizedClientException');
    expect(errorNameOf('')).toBeUndefined();
  });
});

describe('classifyStreamException', () => {
  it.each([
    ['throttlingException', 'rate_limited', 429],
    ['serviceUnavailableException', 'overloaded', 503],
    ['modelStreamErrorException', 'server', 424],
    ['internalServerException', 'server', 500],
    ['validationException', 'bad_request', 400],
  ])('%s -> %s', (name, kind, status) => {
    expect(classifyStreamException(name, '{"message":"m"}')).toMatchObject({ kind, status, code: name, message: 'm' });
  });

  it('adds the original message of a model stream error and survives a payload that is not JSON', () => {
    expect(classifyStreamException('modelStreamErrorException', '{"message":"failed","originalMessage":"boom"}').message).toBe(
      'failed (boom)',
    );
    expect(classifyStreamException('somethingNewException', 'nope')).toMatchObject({
      kind: 'server',
      message: 'Bedrock stream exception somethingNewException',
    });
  });
});
