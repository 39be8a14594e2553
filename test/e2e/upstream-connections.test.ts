/**
 * Upstream keep-alive across streams: an upstream that sends `[DONE]` a moment before it ends the
 * response (as servers that flush the last event first do) must keep its connection. The gateway
 * finishes the client's stream at `[DONE]` and lets the rest drain instead of destroying the body,
 * which would close the socket and make every stream pay a new connection.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useUpstreamGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

let connections = 0;
let finished = 0;

const chunk = (delta: Record<string, unknown>, finish: string | null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

const env = useUpstreamGateway((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: 'hello' }, null));
    res.write(chunk({}, 'stop'));
    res.write('data: [DONE]\n\n');
    // The end of the response arrives separately, after [DONE].
    setTimeout(() => res.end(() => (finished += 1)), 30);
  });
});
beforeAll(() => {
  env.upstream.on('connection', () => (connections += 1));
});

describe('upstream connections', () => {
  it('are reused by consecutive streams that end after [DONE]', async () => {
    for (let i = 0; i < 5; i += 1) {
      const stream = await env.gw
        .client()
        .chat.completions.create({ model: 'r', stream: true, messages: [{ role: 'user', content: `hi ${i}` }] });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      expect(text).toBe('hello');
      // The next request goes out once this response has fully left the upstream (and so can be
      // read to its end by the gateway), so the connection is free again.
      await pollUntil(() => finished === i + 1, `response ${i} to end`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(connections).toBe(1);
  });
});
