/**
 * OpenAI chat requests into Anthropic Messages requests: the edge cases the fixtures do not spell
 * out one by one (max_tokens defaults, system hoisting, turn merging, images, tool_choice, what is
 * refused), the continuation (prefill) request, and the credentials step.
 */
import { describe, expect, it } from 'vitest';
import { anthropicAdapter, anthropicKind } from '../../../adapters/anthropic/index.js';
import { buildContinuation, buildRequest, messagesBody } from '../../../adapters/anthropic/request.js';
import { authorize } from '../../../adapters/anthropic/auth.js';
import { UpstreamError } from '../../../adapters/upstream-error.js';
import { chatRequest, target } from './support.js';

const user = { role: 'user', content: 'hi' };
const bodyOf = (body: Record<string, unknown>, settings = {}) => messagesBody(chatRequest(body), target(settings));

function refusal(body: Record<string, unknown>): UpstreamError {
  try {
    messagesBody(chatRequest(body), target());
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error('expected the request to be refused');
}

describe('max_tokens (required by Anthropic)', () => {
  it('takes max_completion_tokens over max_tokens, else the provider default, else 4096', () => {
    expect(bodyOf({ messages: [user], max_completion_tokens: 50, max_tokens: 70 }).max_tokens).toBe(50);
    expect(bodyOf({ messages: [user], max_tokens: 70 }).max_tokens).toBe(70);
    expect(bodyOf({ messages: [user] }, { default_max_tokens: 1000 }).max_tokens).toBe(1000);
    expect(bodyOf({ messages: [user] }).max_tokens).toBe(4096);
  });
});

describe('messages', () => {
  it('lifts system and developer messages, in order, into the top-level system', () => {
    const body = bodyOf({
      messages: [{ role: 'developer', content: 'A.' }, user, { role: 'system', content: [{ type: 'text', text: 'B.' }] }],
    });
    expect(body['system']).toBe('A.\n\nB.');
    expect(body.messages).toEqual([user]);
  });

  it('keeps system text blocks when one carries cache_control', () => {
    const cached = { type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral' } };
    expect(bodyOf({ messages: [{ role: 'system', content: [cached] }, user] })['system']).toEqual([cached]);
  });

  it('puts consecutive tool results, and a user message after them, in one user turn, results first', () => {
    const body = bodyOf({
      messages: [
        user,
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'one' },
        { role: 'tool', tool_call_id: 't2', content: 'two' },
        { role: 'user', content: 'And?' },
      ],
    });
    expect(body.messages).toEqual([
      user,
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'one' },
          { type: 'tool_result', tool_use_id: 't2', content: 'two' },
          { type: 'text', text: 'And?' },
        ],
      },
    ]);
  });

  it('reads empty tool arguments as {} and drops an empty assistant turn', () => {
    const body = bodyOf({
      messages: [
        user,
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '' } }] },
        { role: 'tool', tool_call_id: 't1', content: 'ok' },
        { role: 'assistant', content: '' },
      ],
    });
    expect(body.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] });
    expect(body.messages).toHaveLength(3);
  });

  it('turns image_url parts into image blocks: data URLs as base64, http(s) URLs as url', () => {
    const body = bodyOf({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/JPEG;base64,AAAA', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(body.messages[0]?.content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
    ]);
  });

  it('refuses what Anthropic cannot take, naming the param', () => {
    const cases: Array<[Record<string, unknown>, string | null, RegExp]> = [
      [{ messages: [user], n: 2 }, 'n', /one choice/],
      [
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AA' } }] }] },
        'messages[0].content[0]',
        /not image\/bmp/,
      ],
      [
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] },
        'messages[0].content[0]',
        /http/,
      ],
      [
        { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] },
        'messages[0].content',
        /not input_audio/,
      ],
      [
        { messages: [user, { role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] },
        'messages[1].tool_calls',
        /not a JSON object/,
      ],
      [{ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role', /not supported/],
      [{ messages: [user], tools: [{ type: 'custom', custom: { name: 'c' } }] }, 'tools', /function tools only/],
      [{ messages: [] }, 'messages', /non-empty/],
    ];
    for (const [body, param, message] of cases) {
      const err = refusal(body);
      expect(err.kind, JSON.stringify(body)).toBe('bad_request');
      expect(err.param).toBe(param);
      expect(err.message).toMatch(message);
    }
    expect(bodyOf({ messages: [user], n: 1 }).messages).toEqual([user]);
  });
});

describe('parameters', () => {
  it('maps stop, temperature (clamped to 1), top_p, user and json_schema', () => {
    const body = bodyOf({
      messages: [user],
      stop: 'END',
      temperature: 1.4,
      top_p: 0.5,
      user: 'u-1',
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      frequency_penalty: 1,
    });
    expect(body).toMatchObject({
      stop_sequences: ['END'],
      temperature: 1,
      top_p: 0.5,
      metadata: { user_id: 'u-1' },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    expect(body).not.toHaveProperty('frequency_penalty');
    expect(bodyOf({ messages: [user], temperature: 0.3 })['temperature']).toBe(0.3);
  });

  it('maps tool_choice and parallel_tool_calls', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const choiceOf = (extra: Record<string, unknown>) => bodyOf({ messages: [user], tools, ...extra })['tool_choice'];
    expect(choiceOf({})).toBeUndefined();
    expect(choiceOf({ tool_choice: 'auto' })).toEqual({ type: 'auto' });
    expect(choiceOf({ tool_choice: 'required' })).toEqual({ type: 'any' });
    expect(choiceOf({ tool_choice: 'none' })).toEqual({ type: 'none' });
    expect(choiceOf({ tool_choice: { type: 'function', function: { name: 'f' } } })).toEqual({ type: 'tool', name: 'f' });
    expect(choiceOf({ parallel_tool_calls: false })).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choiceOf({ tool_choice: 'required', parallel_tool_calls: false })).toEqual({ type: 'any', disable_parallel_tool_use: true });
    // Without tools, no tool_choice goes (Anthropic refuses one without tools).
    expect(bodyOf({ messages: [user], tool_choice: 'required' })).not.toHaveProperty('tool_choice');
    // A tool without parameters still needs an input_schema.
    expect(bodyOf({ messages: [user], tools: [{ type: 'function', function: { name: 'g' } }] })['tools']).toEqual([
      { name: 'g', input_schema: { type: 'object', properties: {} } },
    ]);
  });
});

describe('the HTTP request', () => {
  it('posts to /v1/messages with the version, betas and static headers; chat only', () => {
    const sent = buildRequest(
      chatRequest({ messages: [user], stream: true }),
      target({ anthropic_version: '2024-01-01', beta: ['a', 'b'] }, { 'anthropic-version': '2025-01-01' }),
    );
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(sent.headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'anthropic-version': '2025-01-01',
      'anthropic-beta': 'a,b',
    });
    expect(JSON.parse(String(sent.body))).toMatchObject({ stream: true });
    expect(() => buildRequest({ ...chatRequest({ prompt: 'x' }), operation: 'completions' }, target())).toThrow(UpstreamError);
  });

  it('authorizes with x-api-key (never a bearer token) and leaves a configured scheme alone', () => {
    const probe = authorize({ method: 'GET', path: '/v1/models', headers: { accept: 'application/json' } }, target());
    expect(probe.headers).toEqual({ accept: 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' });
    const proxied = authorize({ method: 'GET', path: '/v1/models', headers: { authorization: 'Bearer proxy' } }, target());
    expect(proxied.headers['x-api-key']).toBeUndefined();
    expect(anthropicAdapter.healthPath).toBe('/v1/models');
  });
});

describe('continuation (prefill)', () => {
  const progress = { text: 'Lorem ipsum dolor ', contentChunks: 3, continuable: true };

  it('appends the partial answer as the final assistant turn, without trailing whitespace, and shrinks the cap', () => {
    const sent = buildContinuation(chatRequest({ messages: [user], max_tokens: 10 }), progress, target());
    const body = JSON.parse(String(sent?.body)) as Record<string, unknown>;
    expect(body).toMatchObject({ max_tokens: 7, stream: true, messages: [user, { role: 'assistant', content: 'Lorem ipsum dolor' }] });
    expect(sent?.headers['accept']).toBe('text/event-stream');
  });

  it("extends the client's own final assistant turn rather than adding a second one", () => {
    const sent = buildContinuation(chatRequest({ messages: [user, { role: 'assistant', content: 'Once' }] }), progress, target());
    const body = JSON.parse(String(sent?.body)) as { messages: unknown[] };
    expect(body.messages.at(-1)).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Once' },
        { type: 'text', text: 'Lorem ipsum dolor' },
      ],
    });
  });

  it('declines an answer that cannot be continued', () => {
    expect(buildContinuation(chatRequest({ messages: [user] }), { ...progress, continuable: false }, target())).toBeUndefined();
  });
});

describe('the provider kind', () => {
  it('prefills natively', () => {
    expect(anthropicKind.prefill?.defaultStyle).toBe('last_assistant');
  });

  it('pins dated ids and the dateless ids of the 4.6 generation on; aliases float', () => {
    const floats = anthropicKind.floatingModel!;
    const pinned = [
      'claude-sonnet-4-20250514',
      'claude-3-5-sonnet-20241022',
      'claude-opus-4-1-20250805',
      'claude-haiku-4-5-20251001',
      'claude-haiku-4-5@20251001',
      'claude-2.1',
      'claude-sonnet-4-6',
      'claude-opus-4-7',
      'claude-sonnet-5',
    ];
    for (const model of pinned) expect(floats(model), model).toBeUndefined();
    const floating = [
      'claude-3-5-sonnet-latest',
      'claude-3-5-sonnet',
      'claude-3-opus',
      'claude-sonnet-4-0',
      'claude-opus-4-1',
      'claude-sonnet-4-5',
      'opus',
      'sonnet',
    ];
    for (const model of floating) expect(floats(model), model).toMatch(/^'.*' is (a floating alias|an alias without a snapshot date)/);
  });
});
