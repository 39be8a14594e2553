/** Request-body validation: each invalid field is a 400 naming its param, in OpenAI's words and codes. */
import { describe, expect, it } from 'vitest';
import { validators } from '../../routes/validation/operations.js';
import { GatewayError } from '../../gateway/errors/catalogue.js';

function errorOf(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

const user = [{ role: 'user', content: 'hi' }];

describe('chat validation', () => {
  const table: Array<[string, Record<string, unknown>, string, string]> = [
    ['missing model', { messages: user }, 'model', 'missing_required_parameter'],
    ['model not a string', { model: 3, messages: user }, 'model', 'invalid_type'],
    ['empty model', { model: '', messages: user }, 'model', 'invalid_value'],
    ['missing messages', { model: 'm' }, 'messages', 'missing_required_parameter'],
    ['messages not an array', { model: 'm', messages: 'hi' }, 'messages', 'invalid_type'],
    ['empty messages', { model: 'm', messages: [] }, 'messages', 'invalid_value'],
    ['message not an object', { model: 'm', messages: ['hi'] }, 'messages[0]', 'invalid_type'],
    ['missing role', { model: 'm', messages: [{ content: 'x' }] }, 'messages[0].role', 'missing_required_parameter'],
    ['unknown role', { model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    ['user without content', { model: 'm', messages: [{ role: 'user' }] }, 'messages[0].content', 'missing_required_parameter'],
    ['content of wrong type', { model: 'm', messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', 'invalid_type'],
    [
      'part without type',
      { model: 'm', messages: [{ role: 'user', content: [{ text: 'x' }] }] },
      'messages[0].content[0].type',
      'missing_required_parameter',
    ],
    [
      'tool without tool_call_id',
      { model: 'm', messages: [...user, { role: 'tool', content: 'r' }] },
      'messages[1].tool_call_id',
      'missing_required_parameter',
    ],
    ['temperature a string', { model: 'm', messages: user, temperature: 'hot' }, 'temperature', 'invalid_type'],
    ['temperature too high', { model: 'm', messages: user, temperature: 2.5 }, 'temperature', 'invalid_value'],
    ['top_p negative', { model: 'm', messages: user, top_p: -0.1 }, 'top_p', 'invalid_value'],
    ['n zero', { model: 'm', messages: user, n: 0 }, 'n', 'invalid_value'],
    ['n fractional', { model: 'm', messages: user, n: 1.5 }, 'n', 'invalid_type'],
    ['max_tokens negative', { model: 'm', messages: user, max_tokens: -1 }, 'max_tokens', 'invalid_value'],
    ['stop too many', { model: 'm', messages: user, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'invalid_value'],
    ['stop element', { model: 'm', messages: user, stop: ['a', 1] }, 'stop[1]', 'invalid_type'],
    ['stream not boolean', { model: 'm', messages: user, stream: 'yes' }, 'stream', 'invalid_type'],
    [
      'stream_options without stream',
      { model: 'm', messages: user, stream_options: { include_usage: true } },
      'stream_options',
      'invalid_value',
    ],
    ['tools not an array', { model: 'm', messages: user, tools: {} }, 'tools', 'invalid_type'],
    ['tool of unknown type', { model: 'm', messages: user, tools: [{ type: 'magic' }] }, 'tools[0].type', 'invalid_value'],
    [
      'tool without name',
      { model: 'm', messages: user, tools: [{ type: 'function', function: {} }] },
      'tools[0].function.name',
      'missing_required_parameter',
    ],
    ['tool_choice unknown', { model: 'm', messages: user, tool_choice: 'sometimes' }, 'tool_choice', 'invalid_value'],
    ['response_format type', { model: 'm', messages: user, response_format: { type: 'yaml' } }, 'response_format.type', 'invalid_value'],
    [
      'json_schema without name',
      { model: 'm', messages: user, response_format: { type: 'json_schema', json_schema: {} } },
      'response_format.json_schema.name',
      'missing_required_parameter',
    ],
    ['top_logprobs too high', { model: 'm', messages: user, top_logprobs: 21 }, 'top_logprobs', 'invalid_value'],
  ];
  it.each(table)('%s', (_name, body, param, code) => {
    const err = errorOf(() => validators.chat(body));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.bodyCode).toBe(code);
    expect(err.toBody().error.type).toBe('invalid_request_error');
  });

  it('accepts a full, valid request and reports stream flags', () => {
    const ok = validators.chat({
      model: 'chat',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: [{ type: 'text', text: 'x' }] },
        { role: 'assistant', content: null, tool_calls: [] },
        { role: 'tool', tool_call_id: 'c', content: 'r' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      n: 2,
      stop: 'x',
      unknown_vendor_field: { a: 1 },
    });
    expect(ok).toEqual({ model: 'chat', stream: true, includeUsage: true });
  });
});

describe('completions and embeddings validation', () => {
  it('requires prompt and input', () => {
    expect(errorOf(() => validators.completions({ model: 'm' })).param).toBe('prompt');
    expect(errorOf(() => validators.embeddings({ model: 'm' })).param).toBe('input');
    expect(errorOf(() => validators.embeddings({ model: 'm', input: [] })).param).toBe('input');
    expect(errorOf(() => validators.embeddings({ model: 'm', input: 'x', encoding_format: 'hex' })).param).toBe('encoding_format');
    expect(errorOf(() => validators.embeddings({ model: 'm', input: 'x', stream: true })).param).toBe('stream');
  });

  it('accepts valid bodies', () => {
    expect(validators.completions({ model: 'm', prompt: 'Once', stream: true })).toEqual({ model: 'm', stream: true, includeUsage: false });
    expect(validators.embeddings({ model: 'm', input: ['a', 'b'], encoding_format: 'base64', dimensions: 8 })).toEqual({
      model: 'm',
      stream: false,
      includeUsage: false,
    });
  });
});
