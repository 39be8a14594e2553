/**
 * Every error class a client can meet, as the openai SDK maps it, with the OpenAI envelope
 * (message, type, param, code) validated against the spec; and no secret in any of them.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { demoConfig, startTestGateway, useTestGateway } from '../support/gateway.js';

const gw = useTestGateway(demoConfig({ timeouts: 'timeouts: { first_token_ms: 400, idle_ms: 400, total_ms: 1500 }' }));

async function post(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${gw.baseURL}${path}`, { method: 'POST', headers, body });
  const json = (await res.json()) as Record<string, any>;
  expectSchema('ErrorResponse', json);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  return {
    status: res.status,
    error: json.error as { message: string; type: string; param: string | null; code: string | null },
    headers: res.headers,
  };
}

const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('client errors', () => {
  it('malformed JSON is a 400 invalid_json', async () => {
    const { status, error } = await post('/chat/completions', '{"model": "chat", ');
    expect(status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.code).toBe('invalid_json');
  });

  it('a schema-invalid body is a 400 naming the param', async () => {
    const cases: Array<[string, string]> = [
      [JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }), 'model'],
      [JSON.stringify({ model: 'chat' }), 'messages'],
      [JSON.stringify({ model: 'chat', messages: [] }), 'messages'],
      [JSON.stringify({ model: 'chat', messages: [{ role: 'wizard', content: 'x' }] }), 'messages[0].role'],
      [chat({ temperature: 'hot' }), 'temperature'],
      [chat({ temperature: 3 }), 'temperature'],
      [chat({ n: 0 }), 'n'],
      [chat({ stream_options: { include_usage: true } }), 'stream_options'],
      [chat({ tools: [{ type: 'function', function: {} }] }), 'tools[0].function.name'],
      ['[1,2]', null as unknown as string],
    ];
    for (const [body, param] of cases) {
      const { status, error } = await post('/chat/completions', body);
      expect(status, body).toBe(400);
      expect(error.param, body).toBe(param);
      expect(error.message.length).toBeGreaterThan(10);
    }
  });

  it('the SDK raises BadRequestError for a 400', async () => {
    const err = await gw
      .client()
      .chat.completions.create({ model: 'chat', messages: [], stream: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).requestID).toMatch(/^req_/);
  });

  it('an unknown model is a 404 model_not_found (NotFoundError)', async () => {
    const err = await gw
      .client()
      .chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
  });

  it('a body over the limit is a 413', async () => {
    const big = chat({ padding: 'x'.repeat(5 * 1024 * 1024) });
    const { status, error } = await post('/chat/completions', big);
    expect(status).toBe(413);
    expect(error.code).toBe('request_too_large');
  });

  it('a wrong content type is a 415', async () => {
    const { status, error } = await post('/chat/completions', chat(), { 'content-type': 'text/plain' });
    expect(status).toBe(415);
    expect(error.message).toContain('application/json');
  });

  it('an unknown path is a 404 and a wrong method a 405', async () => {
    const res = await fetch(`${gw.baseURL}/nope`);
    expect(res.status).toBe(404);
    expectSchema('ErrorResponse', await res.json());
    const res2 = await fetch(`${gw.baseURL}/chat/completions`);
    expect(res2.status).toBe(405);
    expectSchema('ErrorResponse', await res2.json());
  });
});

describe('upstream errors', () => {
  it('fails over to the fallback when the target fails before the first byte', async () => {
    gw.sim('gpu-a').setFaults([{ type: 'error', status: 500 }]);
    gw.sim('gpu-b').setFaults([{ type: 'error', status: 500 }]);
    const { data, response } = await gw
      .client()
      .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(data.model).toBe('gpt-4o-mini-2024-07-18');
    expect(response.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    // One retry on the pool (retries.same_deployment defaults to 1), then the fallback.
    expect(response.headers.get('x-switchyard-attempts')).toBe('3');
  });

  it('an upstream 429 becomes a RateLimitError with Retry-After and retry-after-ms', async () => {
    gw.sim('cloud').setFaults([{ type: 'error', status: 429, retry_after_s: 7 }]);
    const err = await gw
      .client()
      .chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.headers.get('retry-after')).toBe('7');
    expect(e.headers.get('retry-after-ms')).toBe('7000');
    expect(e.code).toBe('rate_limit_exceeded');
  });

  it('an overloaded upstream is a 503, a failing one a 502 naming the deployment', async () => {
    gw.sim('cloud').setFaults([{ type: 'error', status: 503 }]);
    const overloaded = await post('/chat/completions', JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'x' }] }));
    expect(overloaded.status).toBe(503);
    expect(overloaded.error.message).toContain('mini@cloud');
    gw.sim('cloud').setFaults([{ type: 'reset' }]);
    const reset = await post('/chat/completions', JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'x' }] }));
    expect(reset.status).toBe(502);
    expect(reset.error.message).toContain('mini@cloud');
    const err = await gw
      .client()
      .chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('a hung upstream is cut at the deadline with a 504', async () => {
    gw.sim('cloud').setFaults([{ type: 'hang' }]);
    const { status, error } = await post(
      '/chat/completions',
      JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(status).toBe(504);
    expect(error.code).toBe('timeout');
  });

  it('an upstream 400 keeps the provider reason and is not retried elsewhere', async () => {
    gw.sim('gpu-a').setFaults([{ type: 'error', status: 400, message: 'top_k must be positive' }]);
    gw.sim('gpu-b').setFaults([{ type: 'error', status: 400, message: 'top_k must be positive' }]);
    gw.sim('cloud').resetStats();
    const { status, error } = await post('/chat/completions', chat());
    expect(status).toBe(400);
    expect(error.message).toContain('top_k must be positive');
    expect(gw.sim('cloud').stats().requests).toBe(0);
  });

  it('never shows the provider key, even when the upstream quotes it', async () => {
    gw.sim('cloud').setFaults([{ type: 'error', status: 401, message: 'Incorrect API key provided: sk-test-cloud-secret-123456' }]);
    const r1 = await post('/chat/completions', JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'x' }] }));
    expect(r1.status).toBe(502);
    expect(JSON.stringify(r1.error)).not.toContain('sk-test-cloud-secret');
    gw.sim('cloud').setFaults([{ type: 'error', status: 500, message: 'backend said sk-test-cloud-secret-123456 is odd' }]);
    const r2 = await post('/chat/completions', JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'x' }] }));
    expect(r2.status).toBe(502);
    expect(JSON.stringify(r2.error)).not.toContain('sk-test-cloud-secret');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).not.toContain('sk-test-cloud-secret');
  });
});

describe('keys', () => {
  it('requires a configured key when keys exist, without echoing what was sent', async () => {
    const keyed = await startTestGateway(demoConfig({ keys: 'keys:\n  - { name: team-a, key: "${TEAM_A_KEY}", routes: [mini] }' }), {
      TEAM_A_KEY: 'sk-team-a-000000000001',
    });
    try {
      const noKey = await fetch(`${keyed.baseURL}/models`);
      expect(noKey.status).toBe(401);
      const wrong = await keyed
        .client({ apiKey: 'sk-wrong-key-guess-123' })
        .models.list()
        .catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(JSON.stringify((wrong as InstanceType<typeof OpenAI.AuthenticationError>).error)).not.toContain('sk-wrong-key-guess');
      const good = keyed.client({ apiKey: 'sk-team-a-000000000001' });
      expect((await good.models.list()).data.map((m) => m.id)).toEqual(['mini']);
      await expect(good.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
        OpenAI.NotFoundError,
      );
      const ok = await good.chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: 'x' }] });
      expect(ok.choices[0]!.message.content).toBeTruthy();
    } finally {
      await keyed.close(500);
    }
  });
});
