/**
 * What reaches the upstream is the client's own bytes: only the members the gateway must change (the
 * model; `stream_options` for streams) are re-encoded, so formatting, key order, escapes and unknown
 * fields survive exactly, and large conversations are never re-serialised.
 */
import { describe, expect, it } from 'vitest';
import { useUpstreamGateway } from '../support/gateway.js';

let received: string[] = [];

const completion = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'upstream-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const streamed =
  [
    {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'upstream-model',
      choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }],
    },
    {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'upstream-model',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
    },
  ]
    .map((c) => `data: ${JSON.stringify(c)}\n\n`)
    .join('') + 'data: [DONE]\n\n';

const env = useUpstreamGateway(
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      received.push(text);
      const stream = (JSON.parse(text) as { stream?: boolean }).stream === true;
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.end(stream ? streamed : completion);
    });
  },
  { model: 'upstream-model', routes: '  chat: { targets: [d] }' },
);

async function post(text: string): Promise<Response> {
  received = [];
  const res = await fetch(`${env.gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  await res.text();
  return res;
}

describe('the body sent upstream', () => {
  it("is the client's bytes with only the model replaced", async () => {
    const text = `{\n  "x_vendor_field" : {"keep": [1, 2.50, "\\u00e9"]},\n  "model" :  "chat",\n  "messages": [{"role": "user", "content": "say \\"model\\": \\"chat\\""}]\n}\n`;
    expect((await post(text)).status).toBe(200);
    expect(received).toEqual([text.replace('"model" :  "chat"', '"model" :  "upstream-model"')]);
  });

  it('gains stream_options.include_usage on streams, appended, the rest untouched', async () => {
    const text = '{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}],"temperature":0.70}';
    expect((await post(text)).status).toBe(200);
    expect(received).toEqual([
      '{"model":"upstream-model","stream":true,"messages":[{"role":"user","content":"hi"}],"temperature":0.70,"stream_options":{"include_usage":true}}',
    ]);
  });
});
