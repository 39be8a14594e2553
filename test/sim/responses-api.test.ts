/**
 * The Responses API on the openai-kind simulator (through the official SDK) and on the azure kind
 * (its v1 and dated paths): answers and stream events valid against OpenAI's spec, function calls,
 * previous_response_id from the in-memory store, an unknown id as OpenAI's 404, and faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../../sim/index.js';
import { azureChatModel } from '../../sim/native/azure/index.js';
import { SseParser } from '../../adapters/shared/sse-parser.js';
import { expectSchema } from '../support/openapi.js';

const MODEL = 'gpt-4o-mini';
let sim: RunningSimulator;
let azure: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ kind: 'openai', model: MODEL, apiKey: 'k', ttftMs: 1, tpotMs: 0, outputTokens: 6 });
  azure = await startSimulator({ kind: 'azure', model: 'chat-prod', apiKey: 'az', ttftMs: 1, tpotMs: 0, outputTokens: 6 });
  client = new OpenAI({ baseURL: sim.url, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await sim?.close();
  await azure?.close();
});

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('simulator: Responses API', () => {
  it('answers text, valid against the spec, the same streamed or not', async () => {
    const response = await client.responses.create({ model: MODEL, input: 'Tell me about trains.', store: false });
    expectSchema('Response', response);
    expect(response.status).toBe('completed');
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBe(6);

    const stream = await client.responses.create({ model: MODEL, input: 'Tell me about trains.', store: false, stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      expectSchema('ResponseStreamEvent', event);
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types[0]).toBe('response.created');
    expect(types[types.length - 1]).toBe('response.completed');
    expect(text).toBe(response.output_text);
  });

  it('calls a function and continues from previous_response_id', async () => {
    const first = await client.responses.create({ model: MODEL, input: 'What is the weather in Paris?', tools: [weatherTool] });
    expectSchema('Response', first);
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: 'Paris' });
    const second = await client.responses.create({
      model: MODEL,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: '21C' }],
      tools: [weatherTool],
    });
    expectSchema('Response', second);
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text.length).toBeGreaterThan(0);
  });

  it("answers an unknown previous_response_id with OpenAI's 404", async () => {
    const error = await client.responses.create({ model: MODEL, input: 'hi', previous_response_id: 'resp_nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('previous_response_not_found');
  });

  it('applies an error fault and a mid-stream error as an error event', async () => {
    sim.setFaults([{ type: 'error', status: 503, count: 1 }]);
    const error = await client.responses.create({ model: MODEL, input: 'hi' }).catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(503);
    sim.setFaults([{ type: 'mid_stream_error', after_chunks: 2, count: 1 }]);
    const res = await fetch(`${sim.url}/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'hi', stream: true }),
    });
    const events = new SseParser().push(Buffer.from(await res.text()));
    expect(events.filter((e) => e.event === 'response.output_text.delta')).toHaveLength(2);
    const last = events[events.length - 1]!;
    expect(last.event).toBe('error');
    expectSchema('ResponseStreamEvent', JSON.parse(last.data));
    sim.clearFaults();
  });

  it.each([
    ['/openai/v1/responses', 200],
    ['/openai/responses?api-version=2025-04-01-preview', 200],
    ['/openai/responses?api-version=2024-10-21', 400],
  ])('azure serves %s (%i), naming the model version', async (path, status) => {
    const res = await fetch(`${azure.origin}${path}`, {
      method: 'POST',
      headers: { 'api-key': 'az', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat-prod', input: 'hi', stream: true }),
    });
    expect(res.status).toBe(status);
    if (status !== 200) return;
    const events = new SseParser().push(Buffer.from(await res.text()));
    expect(events[0]!.event).toBe('response.created');
    for (const event of events) expectSchema('ResponseStreamEvent', JSON.parse(event.data));
    const completed = JSON.parse(events[events.length - 1]!.data) as { response: { model: string } };
    expect(completed.response.model).toBe(azureChatModel);
  });
});
