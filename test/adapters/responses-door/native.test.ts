import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../../adapters/index.js';
import { azureAdapter } from '../../../adapters/azure/index.js';
import { azureSettings, type AzureSettings } from '../../../adapters/azure/settings.js';
import { openAIResponsesDoor } from '../../../adapters/openai-compatible/responses/index.js';
import { providerSettingsOf } from '../../../adapters/provider-settings.js';
import { speaksNative, type ClientRequest, type StreamOutput, type UpstreamTarget } from '../../../adapters/types.js';

const accept = (body: Record<string, unknown>): ClientRequest =>
  openAIResponsesDoor.accept(body, Buffer.from(JSON.stringify(body)), {}).request;

const target = (type: string, model = 'gpt-4o-2024-08-06'): UpstreamTarget => ({
  deploymentId: 'd',
  model,
  provider: providerSettingsOf('p', { type, headers: {}, api_key: 'k' }),
});

function azureTarget(settings: Partial<AzureSettings> = {}): UpstreamTarget<AzureSettings> {
  const parsed = azureSettings.parse({ api_key: 'k', ...settings });
  return { deploymentId: 'd', model: 'chat', provider: { id: 'az', type: 'azure', headers: {}, ...parsed } };
}

const clientBody = { model: 'route', input: 'hi', store: false, metadata: { a: '1' } };

describe('Responses door: native mode', () => {
  it('only openai and azure speak the Responses API', () => {
    const req = accept(clientBody);
    expect(speaksNative(adapterFor('openai'), req)).toBe(true);
    expect(speaksNative(azureAdapter, req)).toBe(true);
    for (const type of ['vllm', 'openai-compatible', 'tgi', 'ollama', 'anthropic'])
      expect(speaksNative(adapterFor(type), req), type).toBe(false);
  });

  it("sends the client's body to /responses with only model replaced", () => {
    const raw = '{"model": "route", "input":"hi","store":false,"metadata":{"a":"1"}}';
    const req = openAIResponsesDoor.accept(JSON.parse(raw) as Record<string, unknown>, Buffer.from(raw), {}).request;
    const out = adapterFor('openai').buildRequest(req, target('openai'));
    expect(out.path).toBe('/responses');
    expect(out.method).toBe('POST');
    expect(out.headers['accept']).toBe('application/json');
    expect(String(out.body)).toBe('{"model": "gpt-4o-2024-08-06", "input":"hi","store":false,"metadata":{"a":"1"}}');
  });

  it('sends the translation to a server that does not speak it', () => {
    const req = accept(clientBody);
    const out = adapterFor('vllm').buildRequest(req, target('vllm', 'llama'));
    expect(out.path).toBe('/chat/completions');
    expect(JSON.parse(String(out.body))).toEqual({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
  });

  it.each([
    [{}, '/openai/v1/responses'],
    [{ api_version: 'v1' }, '/openai/v1/responses'],
    [{ api_version: '2025-01-01-preview' }, '/openai/v1/responses'],
    [{ api_version: '2025-04-01-preview' }, '/openai/responses?api-version=2025-04-01-preview'],
  ])('azure %j posts to %s with the deployment as model', (settings, path) => {
    const out = azureAdapter.buildRequest(accept({ ...clientBody, stream: true }), azureTarget(settings));
    expect(out.path).toBe(path);
    expect(out.headers['accept']).toBe('text/event-stream');
    expect(JSON.parse(String(out.body))).toEqual({ ...clientBody, stream: true, model: 'chat' });
  });

  it('classifies a 404 about a missing previous response as the client’s error, not a missing model', () => {
    const body = JSON.stringify({
      error: {
        message: "Previous response with id 'resp_x' not found.",
        type: 'invalid_request_error',
        param: 'previous_response_id',
        code: 'previous_response_not_found',
      },
    });
    expect(adapterFor('openai').classifyError(404, body, {})).toMatchObject({
      kind: 'bad_request',
      retryable: false,
      param: 'previous_response_id',
    });
    expect(azureAdapter.classifyError(404, body, {}).kind).toBe('bad_request');
    const missingModel = JSON.stringify({
      error: { message: 'The model `x` does not exist.', type: 'invalid_request_error', param: null, code: 'model_not_found' },
    });
    expect(adapterFor('openai').classifyError(404, missingModel, {}).kind).toBe('not_found');
  });

  it('returns a native body unchanged with its usage and model', () => {
    const body =
      '{"id":"resp_1","object":"response","model":"gpt-4o-2024-08-06","output":[],"usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":2},"output_tokens":3,"total_tokens":10}}';
    const out = adapterFor('openai').translateResponse(accept(clientBody), Buffer.from(body), target('openai'));
    expect(out.body).toBe(body);
    expect(out.model).toBe('gpt-4o-2024-08-06');
    expect(out.usage).toEqual({ promptTokens: 7, completionTokens: 3, totalTokens: 10, cachedTokens: 2 });
  });

  it('maps the model an Azure answer names for the drift check', () => {
    const body = Buffer.from('{"id":"resp_1","object":"response","model":"gpt-4o-2024-08-06","output":[]}');
    const pinned = azureTarget({ model_versions: { chat: 'gpt-4o-2024-08-06' } });
    expect(azureAdapter.translateResponse(accept(clientBody), body, pinned).model).toBe('chat');
    expect(azureAdapter.translateResponse(accept(clientBody), body, azureTarget()).model).toBeUndefined();
  });
});

const sse = (type: string, fields: Record<string, unknown>, seq: number): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: seq })}\n\n`;

const nativeStream =
  sse('response.created', { response: { id: 'resp_1', status: 'in_progress', model: 'gpt-4o-2024-08-06' } }, 0) +
  sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hé', logprobs: [] }, 1) +
  sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'llo', logprobs: [] }, 2) +
  sse(
    'response.completed',
    {
      response: {
        id: 'resp_1',
        status: 'completed',
        model: 'gpt-4o-2024-08-06',
        usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 },
      },
    },
    3,
  );

function run(pieces: Uint8Array[], end = true): StreamOutput[] {
  const translator = adapterFor('openai').createStreamTranslator(accept({ ...clientBody, stream: true }), target('openai'));
  const out = pieces.flatMap((p) => translator.push(p));
  if (end) out.push(...translator.end());
  expect(translator.progress.continuable).toBe(false);
  return out;
}

describe('Responses door: native stream translator', () => {
  it('forwards every event as it came and ends after response.completed', () => {
    const translator = adapterFor('openai').createStreamTranslator(accept({ ...clientBody, stream: true }), target('openai'));
    const out = translator.push(Buffer.from(nativeStream));
    expect(out.map((o) => (o.type === 'chunk' ? o.event : o.type))).toEqual([
      'response.created',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.completed',
      'done',
    ]);
    const first = out[0]!;
    expect(first.type === 'chunk' && first.data).toBe(nativeStream.split('\n')[1]!.slice('data: '.length));
    expect(translator.usage).toEqual({ promptTokens: 5, completionTokens: 2, totalTokens: 7 });
    expect(translator.model).toBe('gpt-4o-2024-08-06');
    expect(translator.started).toBe(true);
    // Never continued: the deltas are counted, not read.
    expect(translator.progress).toEqual({ text: '', contentChunks: 2, continuable: false });
    expect(translator.end()).toEqual([]);
  });

  it('gives the same output whatever the byte splits', () => {
    const bytes = Buffer.from(nativeStream);
    const whole = run([bytes]);
    const oneByOne = run([...bytes].map((b) => Uint8Array.of(b)));
    expect(oneByOne).toEqual(whole);
    for (let seed = 1; seed <= 5; seed++) {
      const pieces: Uint8Array[] = [];
      let at = 0;
      let state = seed;
      while (at < bytes.length) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        const size = 1 + (state % 40);
        pieces.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(run(pieces)).toEqual(whole);
    }
  });

  it('ends with a connection error when the body stops before completion', () => {
    const cut = nativeStream.slice(0, nativeStream.indexOf('event: response.completed'));
    const out = run([Buffer.from(cut)]);
    const last = out[out.length - 1]!;
    expect(last.type).toBe('error');
    expect(last.type === 'error' && last.error.kind).toBe('connection');
  });

  it.each([
    [sse('error', { code: 'rate_limit_exceeded', message: 'Too many', param: null }, 1), 'rate_limited'],
    [sse('error', { code: 'server_error', message: 'boom', param: null }, 1), 'server'],
    [
      sse('response.failed', { response: { id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'failed' } } }, 1),
      'server',
    ],
  ])('turns a failure event into an upstream error (%#)', (failure, kind) => {
    // The opening event is held back: a failure before any content leaves nothing sent (it can fail over).
    const out = run([Buffer.from(sse('response.created', { response: { id: 'resp_1' } }, 0) + failure)], false);
    expect(out.map((o) => o.type)).toEqual(['error']);
    const last = out[0]!;
    expect(last.type === 'error' && last.error.kind).toBe(kind);
    expect(last.type === 'error' && last.error.message.length).toBeGreaterThan(0);
  });

  it('passes the opening events on with the first content, in order', () => {
    const opening =
      sse('response.created', { response: { id: 'resp_1' } }, 0) + sse('response.in_progress', { response: { id: 'resp_1' } }, 1);
    const held = run([Buffer.from(opening)], false);
    expect(held).toEqual([]);
    const delta = sse('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' }, 2);
    const out = run([Buffer.from(opening), Buffer.from(delta)], false);
    expect(out.map((o) => (o.type === 'chunk' ? o.event : o.type))).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_text.delta',
    ]);
  });
});
