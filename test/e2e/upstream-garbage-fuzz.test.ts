/**
 * A misbehaving upstream never makes the gateway lie or break: whatever an upstream streams back (valid
 * chunks, garbage lines, half JSON, error objects, `[DONE]` anywhere or nowhere, comments), the client
 * gets either a complete answer or an explicit error — a streamed answer ends with `[DONE]` after a
 * finish reason, or with an error event; a non-stream answer is a valid completion or an OpenAI error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expectSchema, validateSchema } from '../support/openapi.js';
import { readSse, useUpstreamGateway } from '../support/gateway.js';

/** What the upstream sends for the next request, as SSE body fragments written one by one. */
let script: string[] = [];

const env = useUpstreamGateway(
  (req, res) => {
    req.resume();
    // Fire and forget: a listener's returned promise is dropped by the emitter; `void` says so.
    req.on('end', () => {
      void (async () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const fragment of script) {
          res.write(fragment);
          await new Promise((r) => setImmediate(r));
        }
        res.end();
      })();
    });
  },
  {
    routes: `  r:
    targets: [d]
    stream_upstream: true
    retries: { same_deployment: 0 }
    timeouts: { first_token_ms: 2000, idle_ms: 2000, total_ms: 5000 }`,
  },
);

const chunk = (delta: Record<string, unknown>, finish: string | null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** One SSE event or fragment an upstream might send, well-formed or not. */
const fragment = fc.oneof(
  fc.constant(chunk({ role: 'assistant', content: '' }, null)),
  fc.string({ maxLength: 12 }).map((text) => chunk({ content: text }, null)),
  fc.constantFrom('stop', 'length').map((reason) => chunk({}, reason)),
  fc.constant('data: [DONE]\n\n'),
  fc.constant(': keep-alive\n\n'),
  fc.constant(`data: ${JSON.stringify({ error: { message: 'upstream exploded', type: 'server_error' } })}\n\n`),
  fc.constant('data: {"choices": [{"delta": {"content": "half'),
  fc.string({ maxLength: 40 }).map((s) => `data: ${s}\n\n`),
  fc.string({ maxLength: 40 }),
  fc.constant(
    `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`,
  ),
);

const body = (stream: boolean) => JSON.stringify({ model: 'r', stream, messages: [{ role: 'user', content: 'hi' }] });

describe('an upstream that streams anything', () => {
  it('gives a streaming client a complete answer ending in [DONE], or an error event', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fragment, { maxLength: 12 }), async (fragments) => {
        script = fragments;
        env.gw.reload(undefined, { freshState: true }); // fresh breaker and ejection state: every run reaches the upstream
        const res = await fetch(`${env.gw.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(true),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status !== 200) {
          expect(res.status).toBeGreaterThanOrEqual(500);
          expectSchema('ErrorResponse', await res.json());
          return;
        }
        const events = await readSse(res);
        const last = events.at(-1);
        expect(last).toBeDefined();
        const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Record<string, unknown>);
        for (const c of chunks) expectSchema('CreateChatCompletionStreamResponse', c);
        if (last === '[DONE]') {
          // Success is claimed only for an answer with a finish reason.
          const finished = chunks.some((c) => (c.choices as Array<{ finish_reason: unknown }>).some((ch) => ch.finish_reason != null));
          expect(finished).toBe(true);
        } else {
          const error = JSON.parse(last!) as Record<string, unknown>;
          expect(validateSchema('ErrorResponse', error)).toEqual([]);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('gives a non-stream client a valid completion or an OpenAI error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fragment, { maxLength: 12 }), async (fragments) => {
        script = fragments;
        env.gw.reload(undefined, { freshState: true }); // fresh breaker and ejection state: every run reaches the upstream
        const res = await fetch(`${env.gw.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(false),
          signal: AbortSignal.timeout(10_000),
        });
        const json = (await res.json()) as Record<string, unknown>;
        if (res.status === 200) {
          expectSchema('CreateChatCompletionResponse', json);
          expect((json.choices as Array<{ finish_reason: unknown }>)[0]!.finish_reason).not.toBeNull();
        } else {
          expect(res.status).toBeGreaterThanOrEqual(500);
          expectSchema('ErrorResponse', json);
        }
      }),
      { numRuns: 80 },
    );
  });
});
