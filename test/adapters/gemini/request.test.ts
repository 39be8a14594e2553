/**
 * OpenAI requests as Gemini requests: the edge cases the golden fixtures do not show one by one.
 */
import { describe, expect, it } from 'vitest';
import { buildRequest, generateContentBody } from '../../../adapters/gemini/request.js';
import { geminiKind } from '../../../adapters/gemini/index.js';
import type { ClientRequest, UpstreamTarget } from '../../../adapters/types.js';
import { UpstreamError } from '../../../adapters/upstream-error.js';

const target: UpstreamTarget = { deploymentId: 'g', model: 'gemini-2.0-flash-001', provider: { id: 'g', type: 'gemini', headers: {} } };

function request(body: Record<string, unknown>, operation: ClientRequest['operation'] = 'chat'): ClientRequest {
  return { operation, body, raw: Buffer.from(JSON.stringify(body)), stream: body['stream'] === true, includeUsage: false };
}

const bodyOf = (req: ClientRequest): Record<string, unknown> =>
  JSON.parse(String(buildRequest(req, target).body)) as Record<string, unknown>;

describe('gemini request', () => {
  it('joins system and developer messages into systemInstruction, wherever they are', () => {
    const out = generateContentBody({
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
      ],
    });
    expect(out.systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }, { text: 'Answer in French.' }] });
    expect(out.contents).toEqual([{ role: 'user', parts: [{ text: 'Hi' }] }]);
  });

  it('merges consecutive turns of one speaker, as Gemini wants strict alternation', () => {
    const out = generateContentBody({
      messages: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
      ],
    });
    expect(out.contents).toEqual([{ role: 'user', parts: [{ text: 'one' }, { text: 'two' }] }]);
  });

  it('refuses a tool result whose call id no assistant message made (Gemini needs the function name)', () => {
    expect(() =>
      generateContentBody({
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', tool_call_id: 'call_x', content: '1' },
        ],
      }),
    ).toThrow(UpstreamError);
    try {
      generateContentBody({ messages: [{ role: 'tool', tool_call_id: 'call_x', content: '1' }] });
    } catch (err) {
      expect((err as UpstreamError).kind).toBe('bad_request');
    }
  });

  it('wraps a non-object tool result as {result}, keeps an object result as it is', () => {
    const messages = [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '' } }] },
      { role: 'tool', tool_call_id: 'a', content: '[1,2]' },
    ];
    const out = generateContentBody({ messages });
    expect(out.contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] });
    expect(out.contents[2]!.parts[0]).toEqual({ functionResponse: { name: 'f', response: { result: [1, 2] } } });
  });

  it('maps tool_choice: required -> ANY, none -> NONE; no toolConfig without tools', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const messages = [{ role: 'user', content: 'x' }];
    expect(generateContentBody({ messages, tools, tool_choice: 'required' }).toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY' },
    });
    expect(generateContentBody({ messages, tools, tool_choice: 'none' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(generateContentBody({ messages, tool_choice: 'required' }).toolConfig).toBeUndefined();
  });

  it('maps generation settings: max_completion_tokens wins, n, stop list, json_object', () => {
    const out = generateContentBody({
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 10,
      max_completion_tokens: 20,
      n: 2,
      stop: ['a', 'b'],
      response_format: { type: 'json_object' },
      presence_penalty: 0.5,
    });
    expect(out.generationConfig).toEqual({
      maxOutputTokens: 20,
      candidateCount: 2,
      stopSequences: ['a', 'b'],
      responseMimeType: 'application/json',
      presencePenalty: 0.5,
    });
  });

  it('sends images as inlineData (data URLs) or fileData (other URLs); refuses audio parts', () => {
    const out = generateContentBody({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
            { type: 'image_url', image_url: { url: 'gs://bucket/cat.png' } },
          ],
        },
      ],
    });
    expect(out.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'image/jpeg', data: 'AAAA' } },
      { fileData: { fileUri: 'gs://bucket/cat.png' } },
    ]);
    expect(() => generateContentBody({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] })).toThrow(
      UpstreamError,
    );
  });

  it('streams with alt=sse, strips a models/ prefix, and puts the key in x-goog-api-key only', () => {
    const built = buildRequest(request({ messages: [{ role: 'user', content: 'x' }], stream: true }), {
      ...target,
      model: 'models/gemini-2.5-flash',
    });
    expect(built.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    const keyed = { provider: { ...target.provider, api_key: 'k' } };
    const authorized = geminiKind.adapter.authorize!({ ...built, headers: { ...built.headers } }, keyed) as typeof built;
    expect(authorized.headers['x-goog-api-key']).toBe('k');
    expect(authorized.path).not.toContain('key=');
  });

  it('embeds one string with embedContent and a list with batchEmbedContents; refuses token ids', () => {
    const one = buildRequest(request({ input: 'a', dimensions: 8 }, 'embeddings'), target);
    expect(one.path).toBe('/v1beta/models/gemini-2.0-flash-001:embedContent');
    expect(JSON.parse(String(one.body))).toEqual({
      model: 'models/gemini-2.0-flash-001',
      content: { parts: [{ text: 'a' }] },
      outputDimensionality: 8,
    });
    expect(bodyOf(request({ input: ['a', 'b'] }, 'embeddings'))['requests']).toHaveLength(2);
    expect(() => buildRequest(request({ input: [1, 2, 3] }, 'embeddings'), target)).toThrow(UpstreamError);
  });

  it('floats ids without a version up to 2.0, pins numbered ones and 2.5 names', () => {
    const rule = geminiKind.floatingModel!;
    expect(rule('gemini-1.5-pro')).toBeDefined();
    expect(rule('gemini-2.0-flash')).toBeDefined();
    expect(rule('gemini-1.5-pro-latest')).toBeDefined();
    expect(rule('gemini-1.5-pro-002')).toBeUndefined();
    expect(rule('gemini-2.0-flash-001')).toBeUndefined();
    expect(rule('gemini-2.5-flash')).toBeUndefined();
  });
});
