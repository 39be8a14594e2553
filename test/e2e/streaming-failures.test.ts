/**
 * What a streaming client sees when the upstream misbehaves: failover while nothing has been sent,
 * an error event (never a quiet truncation) once something has, tolerance of upstream quirks, and
 * the upstream request aborted when the client leaves.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { expectSchema } from '../support/openapi.js';
import { demoConfig, readSse, useTestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const gw = useTestGateway(demoConfig({ timeouts: 'timeouts: { first_token_ms: 500, idle_ms: 500, total_ms: 4000 }' }));

const streamBody = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'tell me a story' }], stream: true });

async function rawStream(model: string) {
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: streamBody(model),
  });
  return { res, events: await readSse(res) };
}

describe('before the first byte', () => {
  it('fails over invisibly when the pool resets connections', async () => {
    gw.sim('gpu-a').setFaults([{ type: 'reset' }]);
    gw.sim('gpu-b').setFaults([{ type: 'reset' }]);
    const { res, events } = await rawStream('chat');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    expect(events.at(-1)).toBe('[DONE]');
  });

  it('moves on from an upstream that says nothing within first_token_ms', async () => {
    gw.sim('gpu-a').setFaults([{ type: 'hang' }]);
    gw.sim('gpu-b').setFaults([{ type: 'hang' }]);
    const { res, events } = await rawStream('chat');
    expect(res.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    expect(events.at(-1)).toBe('[DONE]');
    // The attempt on the silent pool was cut and aborted upstream, and not retried there: a timeout moves
    // on at once (retries.on_timeout is off by default).
    const hung = Number(res.headers.get('x-switchyard-attempts')) - 1;
    expect(hung).toBe(1);
    expect(res.headers.get('x-switchyard-failed')).toBe('llama@gpu:timeout');
    await pollUntil(() => gw.sim('gpu-a').stats().aborted + gw.sim('gpu-b').stats().aborted === hung, 'the hung attempts to be aborted');
  });

  it('fails over on an error event that arrives before any content', async () => {
    gw.sim('gpu-a').setFaults([{ type: 'mid_stream_error', after_chunks: 0 }]);
    gw.sim('gpu-b').setFaults([{ type: 'mid_stream_error', after_chunks: 0 }]);
    const { res, events } = await rawStream('chat');
    expect(res.headers.get('x-switchyard-deployment')).toBe('mini@cloud');
    expect(events.at(-1)).toBe('[DONE]');
  });
});

describe('after the first byte', () => {
  it('ends a stream cut mid-answer with an error event, and the SDK throws APIError', async () => {
    gw.sim('cloud').setFaults([{ type: 'cut', after_chunks: 3 }]);
    const { events } = await rawStream('mini');
    expect(events.at(-1)).not.toBe('[DONE]');
    const last = JSON.parse(events.at(-1)!);
    expectSchema('ErrorResponse', last);
    expect(last.error.message).toContain('mini@cloud');

    gw.sim('cloud').setFaults([{ type: 'cut', after_chunks: 3 }]);
    const stream = await gw.client().chat.completions.create({ model: 'mini', messages: [{ role: 'user', content: 'x' }], stream: true });
    const err = await (async () => {
      for await (const _ of stream) {
        /* consume */
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });

  it('detects a stalled stream after idle_ms and ends it with an error event', async () => {
    gw.sim('cloud').setFaults([{ type: 'stall', after_chunks: 2 }]);
    const { events } = await rawStream('mini');
    const last = JSON.parse(events.at(-1)!);
    expect(last.error.code).toBe('timeout');
    await pollUntil(() => gw.sim('cloud').stats().aborted === 1, 'the stalled upstream request to be aborted');
  });

  it('passes on an upstream error event as an OpenAI error event', async () => {
    gw.sim('cloud').setFaults([{ type: 'mid_stream_error', after_chunks: 2, message: 'engine died' }]);
    const { events } = await rawStream('mini');
    const last = JSON.parse(events.at(-1)!);
    expectSchema('ErrorResponse', last);
    expect(last.error.message).toContain('engine died');
  });
});

describe('upstream quirks', () => {
  it('skips a malformed event and still completes', async () => {
    gw.sim('cloud').setFaults([{ type: 'malformed', after_chunks: 2 }]);
    const { events } = await rawStream('mini');
    expect(events.at(-1)).toBe('[DONE]');
    for (const e of events.slice(0, -1)) expectSchema('CreateChatCompletionStreamResponse', JSON.parse(e));
  });

  it('finalises a stream that finished without [DONE]', async () => {
    gw.sim('cloud').setFaults([{ type: 'no_done' }]);
    const { events } = await rawStream('mini');
    expect(events.at(-1)).toBe('[DONE]');
  });

  it('ignores keep-alive comments', async () => {
    gw.sim('cloud').setFaults([{ type: 'keepalive_comments' }]);
    const { events } = await rawStream('mini');
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.every((e) => e === '[DONE]' || JSON.parse(e).object === 'chat.completion.chunk')).toBe(true);
  });
});

describe('client abort', () => {
  it('aborts the upstream request as soon as the client leaves', async () => {
    gw.sim('cloud').setFaults([{ type: 'stall', after_chunks: 1 }]);
    const controller = new AbortController();
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: streamBody('mini'),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await pollUntil(() => gw.sim('cloud').stats().aborted === 1, 'the simulator to see the abort');
    await pollUntil(() => gw.deps.state.inFlight === 0, 'the gateway to finish the request');
    // The attempt ended because the client left, not through the idle timeout.
    const attempts = await gw.deps.metrics.attempts.get();
    const outcomes = attempts.values.filter((v) => v.labels.deployment === 'mini@cloud').map((v) => [v.labels.outcome, v.value]);
    expect(Object.fromEntries(outcomes).aborted).toBeGreaterThanOrEqual(1);
    const aborts = await gw.deps.metrics.clientAborts.get();
    expect(aborts.values.find((v) => v.labels.route === 'mini')?.value).toBeGreaterThanOrEqual(1);
  });
});
