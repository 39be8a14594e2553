/**
 * The gemini-kind simulator, spoken to as a Gemini API client would (no official Google SDK is
 * installed: the wire is checked against ../shared/wire-formats.md §5 and Google's API reference)
 * and through the gemini adapter itself: generateContent and streamGenerateContent?alt=sse bodies,
 * function calls, candidates, caps, the key check, Google's 400s, errors and faults in google.rpc
 * form, embeddings and the models list. Answers are the shared plan's: the same plain-text
 * conversation gets the same text as from the openai kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { geminiAdapter } from '../../adapters/gemini/index.js';
import type { ClientRequest, StreamOutput, UpstreamTarget } from '../../adapters/types.js';

const MODEL = 'gemini-2.0-flash-001';
const KEY = 'gem-key';
let sim: RunningSimulator;
let openaiSim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'gemini', model: MODEL, ttftMs: 2, tpotMs: 1, outputTokens: 8, apiKey: KEY, maxModelLen: 4096 });
  openaiSim = await startSimulator({ kind: 'openai', model: MODEL, ttftMs: 2, tpotMs: 1, outputTokens: 8 });
});
afterAll(async () => {
  await sim?.close();
  await openaiSim?.close();
});

interface GeminiAnswer {
  candidates?: Array<{ content: { role: string; parts: Array<Record<string, unknown>> }; finishReason?: string; index: number }>;
  usageMetadata: { promptTokenCount: number; candidatesTokenCount?: number; totalTokenCount: number };
  modelVersion: string;
  responseId: string;
}
interface GoogleError {
  error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
}

const conversation = {
  systemInstruction: { parts: [{ text: 'You are terse.' }] },
  contents: [{ role: 'user', parts: [{ text: 'Tell me a story about trains.' }] }],
};
const weather = {
  functionDeclarations: [
    { name: 'get_weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  ],
};

function call(method: string, body: unknown, init: { key?: string | null; query?: string; model?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.key !== null) headers['x-goog-api-key'] = init.key ?? KEY;
  return fetch(`${sim.url}/v1beta/models/${init.model ?? MODEL}:${method}${init.query ?? ''}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const events = (text: string): GeminiAnswer[] =>
  text
    .split('\r\n\r\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice('data: '.length)) as GeminiAnswer);

const textOf = (answers: GeminiAnswer[]): string =>
  answers
    .flatMap((a) => a.candidates ?? [])
    .flatMap((c) => c.content.parts.map((p) => (typeof p['text'] === 'string' ? p['text'] : '')))
    .join('');

describe('generateContent', () => {
  it('answers a GenerateContentResponse: a model candidate, STOP, usageMetadata, modelVersion, responseId', async () => {
    const res = await call('generateContent', conversation);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as GeminiAnswer;
    expect(body.candidates).toHaveLength(1);
    const candidate = body.candidates![0]!;
    expect(candidate.content.role).toBe('model');
    expect(candidate.finishReason).toBe('STOP');
    expect(candidate.index).toBe(0);
    expect(body.usageMetadata.candidatesTokenCount).toBe(8);
    expect(body.usageMetadata.totalTokenCount).toBe(body.usageMetadata.promptTokenCount + 8);
    expect(body.modelVersion).toBe(MODEL);
    expect(typeof body.responseId).toBe('string');
  });

  it('gives the same text as the openai kind for the same plain-text conversation', async () => {
    const gemini = textOf([(await (await call('generateContent', conversation)).json()) as GeminiAnswer]);
    const res = await fetch(`${openaiSim.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Tell me a story about trains.' },
        ],
      }),
    });
    const openai = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(gemini).toBe(openai.choices[0]!.message.content);
  });

  it('calls a function whole, without an id, and finishes with STOP', async () => {
    const res = await call('generateContent', { contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }], tools: [weather] });
    const body = (await res.json()) as GeminiAnswer;
    expect(body.candidates![0]!.content.parts).toEqual([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }]);
    expect(body.candidates![0]!.finishReason).toBe('STOP');
  });

  it('honours toolConfig NONE, candidateCount, maxOutputTokens (MAX_TOKENS) and a function response turn', async () => {
    const none = (await (
      await call('generateContent', {
        contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }],
        tools: [weather],
        toolConfig: { functionCallingConfig: { mode: 'NONE' } },
      })
    ).json()) as GeminiAnswer;
    expect(none.candidates![0]!.content.parts[0]!['text']).toEqual(expect.any(String));
    const capped = (await (
      await call('generateContent', { ...conversation, generationConfig: { candidateCount: 2, maxOutputTokens: 3 } })
    ).json()) as GeminiAnswer;
    expect(capped.candidates).toHaveLength(2);
    expect(capped.candidates!.map((c) => c.finishReason)).toEqual(['MAX_TOKENS', 'MAX_TOKENS']);
    const answered = (await (
      await call('generateContent', {
        tools: [weather],
        contents: [
          { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }] },
        ],
      })
    ).json()) as GeminiAnswer;
    expect(answered.candidates![0]!.content.parts[0]!['text']).toEqual(expect.any(String));
  });
});

describe('streamGenerateContent?alt=sse', () => {
  it('streams GenerateContentResponse events, no [DONE], final usage and finishReason on the last event', async () => {
    const res = await call('streamGenerateContent', conversation, { query: '?alt=sse' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    const answers = events(text);
    expect(answers).toHaveLength(8);
    expect(answers.slice(0, -1).every((a) => a.candidates![0]!.finishReason === undefined)).toBe(true);
    expect(answers.at(-1)!.candidates![0]!.finishReason).toBe('STOP');
    expect(answers.at(-1)!.usageMetadata.candidatesTokenCount).toBe(8);
    expect(new Set(answers.map((a) => a.responseId)).size).toBe(1);
    const whole = (await (await call('generateContent', conversation)).json()) as GeminiAnswer;
    expect(textOf(answers)).toBe(textOf([whole]));
  });

  it('streams a function call in one event, then a trailing STOP event', async () => {
    const res = await call(
      'streamGenerateContent',
      { contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }], tools: [weather] },
      { query: '?alt=sse' },
    );
    const answers = events(await res.text());
    expect(answers).toHaveLength(2);
    expect(answers[0]!.candidates![0]!.content.parts[0]).toEqual({ functionCall: { name: 'get_weather', args: { city: 'Paris' } } });
    expect(answers[1]!.candidates![0]!.finishReason).toBe('STOP');
  });

  it('refuses the JSON-array stream form (no alt=sse) with a 400', async () => {
    const res = await call('streamGenerateContent', conversation);
    expect(res.status).toBe(400);
    expect(((await res.json()) as GoogleError).error.status).toBe('INVALID_ARGUMENT');
  });
});

describe('the key, requests and errors in Google’s form', () => {
  it('403 PERMISSION_DENIED without a key, 400 API_KEY_INVALID with a wrong one, ?key= accepted', async () => {
    const missing = await call('generateContent', conversation, { key: null });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as GoogleError).error.status).toBe('PERMISSION_DENIED');
    const wrong = await call('generateContent', conversation, { key: 'nope' });
    expect(wrong.status).toBe(400);
    const body = (await wrong.json()) as GoogleError;
    expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.' });
    expect(body.error.details![0]).toMatchObject({ reason: 'API_KEY_INVALID' });
    const query = await call('generateContent', conversation, { key: null, query: `?key=${KEY}` });
    expect(query.status).toBe(200);
  });

  it.each([
    ['an OpenAI body', { model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, 'Unknown name "messages"'],
    ['no contents', { generationConfig: {} }, 'contents is not specified'],
    [
      'a role other than user or model',
      { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] },
      'Please use a valid role: user, model.',
    ],
    ['a content without parts', { contents: [{ role: 'user', parts: [] }] }, 'contents.parts must not be empty'],
    ['an unknown generationConfig field', { ...conversation, generationConfig: { max_tokens: 5 } }, 'Unknown name "max_tokens"'],
    ['invalid JSON', '{"contents": [', 'Invalid JSON payload received'],
  ])('refuses %s with 400 INVALID_ARGUMENT', async (_what, body, message) => {
    const res = await call('generateContent', body);
    expect(res.status).toBe(400);
    const error = ((await res.json()) as GoogleError).error;
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(message);
  });

  it('404 NOT_FOUND for another model, 400 for a prompt over the context limit', async () => {
    const other = await call('generateContent', conversation, { model: 'gemini-0.9' });
    expect(other.status).toBe(404);
    expect(((await other.json()) as GoogleError).error.message).toContain('models/gemini-0.9 is not found for API version v1beta');
    const long = await call('generateContent', { contents: [{ role: 'user', parts: [{ text: 'x'.repeat(20_000) }] }] });
    expect(long.status).toBe(400);
    expect(((await long.json()) as GoogleError).error.message).toMatch(
      /input token count \(5000\) exceeds the maximum number of tokens allowed \(4096\)/,
    );
  });

  it('an error fault is a google.rpc body; a 429 carries RetryInfo and Retry-After', async () => {
    sim.setFaults([{ type: 'error', status: 429, retry_after_s: 7, count: 1 }]);
    const res = await call('generateContent', conversation);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    const body = (await res.json()) as GoogleError;
    expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(body.error.details).toEqual([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }]);
  });

  it('mid_stream_error is an error object event inside the 200 stream; drift names another model', async () => {
    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 2, count: 1 }]);
    const text = await (await call('streamGenerateContent', conversation, { query: '?alt=sse' })).text();
    const last = JSON.parse(text.trim().split('\r\n\r\n').at(-1)!.slice('data: '.length)) as GoogleError;
    expect(last.error).toMatchObject({ code: 500, status: 'INTERNAL' });
    sim.setFaults([{ type: 'drift', model: 'gemini-2.0-flash-002', count: 1 }]);
    const drifted = (await (await call('generateContent', conversation)).json()) as GeminiAnswer;
    expect(drifted.modelVersion).toBe('gemini-2.0-flash-002');
  });
});

describe('Vertex AI paths', () => {
  it('serves generateContent under a project and location, with the key as a bearer token', async () => {
    const url = `${sim.url}/v1/projects/p/locations/us-central1/publishers/google/models/${MODEL}:generateContent`;
    const ok = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify(conversation) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as GeminiAnswer).candidates![0]!.finishReason).toBe('STOP');
    const refused = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer expired' }, body: JSON.stringify(conversation) });
    expect(refused.status).toBe(400);
  });

  it('embeds through :predict: one prediction per instance, the same vectors as embedContent, token counts, Google’s 400', async () => {
    const url = `${sim.url}/v1/projects/p/locations/us-central1/publishers/google/models/${MODEL}:predict`;
    const post = (body: unknown): Promise<Response> =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const ok = await post({ instances: [{ content: 'rails', task_type: 'RETRIEVAL_DOCUMENT' }, { content: 'rail yards' }] });
    expect(ok.status).toBe(200);
    const doc = (await ok.json()) as {
      predictions: Array<{ embeddings: { values: number[]; statistics: { token_count: number; truncated: boolean } } }>;
      metadata: { billableCharacterCount: number };
    };
    expect(doc.predictions).toHaveLength(2);
    expect(doc.predictions.map((p) => p.embeddings.statistics)).toEqual([
      { token_count: 2, truncated: false },
      { token_count: 3, truncated: false },
    ]);
    expect(doc.metadata.billableCharacterCount).toBe(15);
    const direct = (await (await call('embedContent', { content: { parts: [{ text: 'rails' }] } })).json()) as {
      embedding: { values: number[] };
    };
    expect(doc.predictions[0]!.embeddings.values).toEqual(direct.embedding.values);
    const sized = (await (await post({ instances: [{ content: 'rails' }], parameters: { outputDimensionality: 4 } })).json()) as typeof doc;
    expect(sized.predictions[0]!.embeddings.values).toHaveLength(4);
    for (const bad of [
      {},
      { instances: [] },
      { instances: [{ text: 'rails' }] },
      { instances: [{ content: 'a' }], parameters: { outputDimensionality: 0 } },
      '{',
    ]) {
      const refused = await post(bad);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as GoogleError).error.status).toBe('INVALID_ARGUMENT');
    }
    const gemini = await call('predict', { instances: [{ content: 'rails' }] });
    expect(gemini.status).toBe(404);
  });
});

describe('embeddings and models', () => {
  it('embedContent and batchEmbedContents give the same deterministic vectors', async () => {
    const one = (await (await call('embedContent', { content: { parts: [{ text: 'rails' }] } })).json()) as {
      embedding: { values: number[] };
    };
    const batch = (await (
      await call('batchEmbedContents', {
        requests: [
          { model: `models/${MODEL}`, content: { parts: [{ text: 'rails' }] } },
          { model: `models/${MODEL}`, content: { parts: [{ text: 'yards' }] } },
        ],
      })
    ).json()) as { embeddings: Array<{ values: number[] }> };
    expect(one.embedding.values).toHaveLength(16);
    expect(batch.embeddings).toHaveLength(2);
    expect(batch.embeddings[0]!.values).toEqual(one.embedding.values);
  });

  it('lists the model and reads its card', async () => {
    const list = (await (await fetch(`${sim.url}/v1beta/models`, { headers: { 'x-goog-api-key': KEY } })).json()) as {
      models: Array<{ name: string }>;
    };
    expect(list.models.map((m) => m.name)).toEqual([`models/${MODEL}`]);
    const card = await fetch(`${sim.url}/v1beta/models/${MODEL}`, { headers: { 'x-goog-api-key': KEY } });
    expect(((await card.json()) as { inputTokenLimit: number }).inputTokenLimit).toBe(4096);
  });
});

describe('the gemini adapter against the simulator', () => {
  const target: UpstreamTarget = {
    deploymentId: 'g',
    model: MODEL,
    provider: { id: 'g', type: 'gemini', headers: {}, api_key: KEY } as UpstreamTarget['provider'],
  };
  const request = (body: Record<string, unknown>): ClientRequest => ({
    operation: 'chat',
    body,
    raw: Buffer.from(JSON.stringify(body)),
    stream: body['stream'] === true,
    includeUsage: true,
  });

  async function send(req: ClientRequest): Promise<Response> {
    const built = await geminiAdapter.authorize!(geminiAdapter.buildRequest(req, target), target);
    return fetch(`${sim.url}${built.path}`, { method: built.method, headers: built.headers, body: built.body as string });
  }

  it('a streamed tool call comes out as OpenAI chunks ending in tool_calls, and usage', async () => {
    const req = request({
      model: 'chat',
      stream: true,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      ],
    });
    const res = await send(req);
    const translator = geminiAdapter.createStreamTranslator(req, target);
    const outputs: StreamOutput[] = [...translator.push(new Uint8Array(await res.arrayBuffer())), ...translator.end()];
    expect(outputs.at(-1)).toEqual({ type: 'done' });
    const chunks = outputs.flatMap((o) =>
      o.type === 'chunk' ? [JSON.parse(o.data) as { choices: Array<{ finish_reason: string | null }> }] : [],
    );
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null).filter((r) => r !== null)).toEqual(['tool_calls']);
    expect(translator.usage?.completionTokens).toBeGreaterThan(0);
  });

  it('classifies the simulator’s errors as the real API’s: rate limited with its wait, overloaded, auth, context length', async () => {
    const cases: Array<[number, string]> = [
      [429, 'rate_limited'],
      [503, 'overloaded'],
      [500, 'server'],
    ];
    for (const [status, kind] of cases) {
      sim.setFaults([{ type: 'error', status, retry_after_s: 2, count: 1 }]);
      const res = await send(request({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }));
      const info = geminiAdapter.classifyError(res.status, await res.text(), Object.fromEntries(res.headers));
      expect(info.kind).toBe(kind);
      if (kind === 'rate_limited') expect(info.retryAfterMs).toBe(2000);
    }
    const wrongKey = { ...target, provider: { ...target.provider, api_key: 'nope' } } as UpstreamTarget;
    const built = await geminiAdapter.authorize!(
      geminiAdapter.buildRequest(request({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }), wrongKey),
      wrongKey,
    );
    const res = await fetch(`${sim.url}${built.path}`, { method: 'POST', headers: built.headers, body: built.body as string });
    expect(geminiAdapter.classifyError(res.status, await res.text(), {}).kind).toBe('auth');
    const long = await send(request({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(20_000) }] }));
    const info = geminiAdapter.classifyError(long.status, await long.text(), {});
    expect(info).toMatchObject({ kind: 'context_length', contextWindow: 4096 });
  });
});
