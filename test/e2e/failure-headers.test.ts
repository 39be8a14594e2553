/**
 * Failures say what happened: every answer and error of the inference endpoints carries the route and
 * the attempts made, names what failed on the way (x-switchyard-failed) and, when one answered, the
 * deployment; the request log line agrees with the error message.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { pino } from 'pino';
import { loadConfigText, formatIssue } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';

const config = `
version: 1
simulators:
  a: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  b: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
providers:
  a: { type: openai, base_url: sim://a }
  b: { type: openai, base_url: sim://b }
deployments:
  a@one: { provider: a, model: m, allow_floating: true }
  b@two: { provider: b, model: m, allow_floating: true }
routes:
  pair:
    targets: [a@one]
    fallbacks: [b@two]
    retries: { same_deployment: 0 }
    timeouts: { first_token_ms: 2000, idle_ms: 2000, total_ms: 4000 }
  slow:
    targets: [a@one]
    timeouts: { first_token_ms: 10000, idle_ms: 10000, total_ms: 600 }
`;

const lines: Array<Record<string, unknown>> = [];
let gw: RunningGateway;
let base: string;

beforeAll(async () => {
  const loaded = loadConfigText(config, 'failure-headers.yaml', {});
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  gw = await startSwitchyard({
    config: loaded.config,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'info' }, sink),
    processMetrics: false,
  });
  base = `${gw.url}/v1`;
});
afterAll(() => gw.close(1000));
beforeEach(() => {
  gw.reload(undefined, { freshState: true });
  for (const s of gw.simulators.values()) s.clearFaults();
  lines.length = 0;
});

const sim = (name: string) => gw.simulators.get(name)!;
const chat = (model: string, extra: Record<string, unknown> = {}) =>
  fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
const requestLine = () => lines.find((l) => l.msg === 'request')!;

describe('failure headers', () => {
  it('a clean answer: route, one attempt, the deployment, nothing failed', async () => {
    const res = await chat('pair');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-route')).toBe('pair');
    expect(res.headers.get('x-switchyard-attempts')).toBe('1');
    expect(res.headers.get('x-switchyard-deployment')).toBe('a@one');
    expect(res.headers.get('x-switchyard-failed')).toBeNull();
  });

  it('a failover names what failed, on a non-stream answer and on a stream', async () => {
    sim('a').setFaults([{ type: 'error', status: 503 }]);
    const res = await chat('pair');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    expect(res.headers.get('x-switchyard-deployment')).toBe('b@two');
    expect(res.headers.get('x-switchyard-failed')).toBe('a@one:overloaded');

    sim('a').setFaults([{ type: 'reset' }]);
    const stream = await chat('pair', { stream: true });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('x-switchyard-failed')).toBe('a@one:connection');
    expect(stream.headers.get('x-switchyard-deployment')).toBe('b@two');
    expect(await stream.text()).toContain('data: [DONE]');
  });

  it('an error after every deployment failed: route, attempts and each failure, no deployment; the log agrees', async () => {
    sim('a').setFaults([{ type: 'error', status: 500 }]);
    sim('b').setFaults([{ type: 'reset' }]);
    const res = await chat('pair');
    expect(res.status).toBe(502);
    expect(res.headers.get('x-switchyard-route')).toBe('pair');
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    expect(res.headers.get('x-switchyard-deployment')).toBeNull();
    expect(res.headers.get('x-switchyard-failed')).toBe('a@one:server,b@two:connection');
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('(2 attempts failed)');
    const line = requestLine();
    expect(line.attempts).toBe(2);
    expect(line.failed).toBe('a@one:server,b@two:connection');
    expect(line.route).toBe('pair');
  });
});

describe('failure headers before and after routing', () => {
  it('an unknown model: route none, no attempts', async () => {
    const res = await chat('no-such-route');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-switchyard-route')).toBe('none');
    expect(res.headers.get('x-switchyard-attempts')).toBe('0');
  });

  it('a deadline: the error, the headers and the request log count the same attempts', async () => {
    sim('a').setFaults([{ type: 'hang' }]);
    const err = await new OpenAI({ baseURL: base, apiKey: 'k', maxRetries: 0 }).chat.completions
      .create({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiError = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(504);
    expect(apiError.message).toContain('after 1 attempt.');
    expect(apiError.headers?.get('x-switchyard-attempts')).toBe('1');
    const line = requestLine();
    expect(line.attempts).toBe(1);
    expect(line.status).toBe(504);
  });
});
