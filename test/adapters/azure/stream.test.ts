import { describe, expect, it } from 'vitest';
import { azureAdapter } from '../../../adapters/azure/index.js';
import { azureSettings, type AzureSettings } from '../../../adapters/azure/settings.js';
import type { ClientRequest, StreamOutput, UpstreamTarget } from '../../../adapters/types.js';

const body = { model: 'assistant', stream: true, messages: [{ role: 'user', content: 'hi' }] };
const req: ClientRequest = { operation: 'chat', body, raw: Buffer.from(JSON.stringify(body)), stream: true, includeUsage: false };

function targetOf(versions?: Record<string, string>): UpstreamTarget<AzureSettings> {
  const parsed = azureSettings.parse({ api_key: 'k', ...(versions ? { model_versions: versions } : {}) });
  return { deploymentId: 'd', model: 'chat', provider: { id: 'az', type: 'azure', headers: {}, ...parsed } };
}

const enc = new TextEncoder();
const event = (data: unknown): Uint8Array => enc.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\r\n\r\n`);
const promptFilter = {
  choices: [],
  created: 0,
  id: '',
  model: '',
  object: '',
  prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
};
const chunk = (choice: Record<string, unknown>, model = 'gpt-4o-2024-08-06') => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model,
  choices: [{ index: 0, logprobs: null, finish_reason: null, content_filter_results: {}, ...choice }],
});
const types = (out: StreamOutput[]): string[] => out.map((o) => o.type);

describe('AzureStreamTranslator', () => {
  it('drops the filter-only first chunk: nothing is sent and the stream has not started', () => {
    const t = azureAdapter.createStreamTranslator(req, targetOf());
    expect(t.push(event(promptFilter))).toEqual([]);
    expect(t.started).toBe(false);
    expect(t.model).toBeUndefined();
    const out = t.push(event(chunk({ delta: { role: 'assistant', content: 'Hi' } })));
    expect(types(out)).toEqual(['chunk']);
    expect(t.started).toBe(true);
  });

  it('passes finish_reason content_filter through and completes', () => {
    const t = azureAdapter.createStreamTranslator(req, targetOf());
    t.push(event(promptFilter));
    t.push(event(chunk({ delta: { role: 'assistant', content: 'The' } })));
    const out = [...t.push(event(chunk({ delta: {}, finish_reason: 'content_filter' }))), ...t.push(event('[DONE]'))];
    expect(types(out)).toEqual(['chunk', 'done']);
    expect(JSON.parse((out[0] as { data: string }).data).choices[0].finish_reason).toBe('content_filter');
  });

  it('lets a late filter annotation (async filter) through without a second finish', () => {
    const t = azureAdapter.createStreamTranslator(req, targetOf());
    t.push(event(chunk({ delta: { role: 'assistant', content: 'Hi' } })));
    t.push(event(chunk({ delta: {}, finish_reason: 'stop' })));
    const late = t.push(event({ ...chunk({}), choices: [{ index: 0, finish_reason: null, content_filter_offsets: { check_offset: 0 } }] }));
    const done = t.push(event('[DONE]'));
    for (const o of late) if (o.type === 'chunk') expect(JSON.parse(o.data).choices[0].finish_reason).toBeNull();
    expect(types(done)).toEqual(['done']);
  });

  it('reports the deployment name when the expected version answers, the version when another does', () => {
    const expected = azureAdapter.createStreamTranslator(req, targetOf({ chat: 'gpt-4o-2024-08-06' }));
    expected.push(event(chunk({ delta: { role: 'assistant', content: 'Hi' } })));
    expect(expected.model).toBe('chat');
    const upgraded = azureAdapter.createStreamTranslator(req, targetOf({ chat: 'gpt-4o-2024-08-06' }));
    upgraded.push(event(chunk({ delta: { role: 'assistant', content: 'Hi' } }, 'gpt-4o-2024-11-20')));
    expect(upgraded.model).toBe('gpt-4o-2024-11-20');
    const unchecked = azureAdapter.createStreamTranslator(req, targetOf());
    unchecked.push(event(chunk({ delta: { role: 'assistant', content: 'Hi' } })));
    expect(unchecked.model).toBeUndefined();
  });

  it('classifies an error event inside the 200 stream', () => {
    const t = azureAdapter.createStreamTranslator(req, targetOf());
    t.push(event(chunk({ delta: { role: 'assistant', content: 'Hi' } })));
    const out = t.push(event({ error: { code: 'content_filter', message: 'filtered', status: 400 } }));
    expect(out).toEqual([expect.objectContaining({ type: 'error', error: expect.objectContaining({ kind: 'content_filter' }) })]);
  });

  it('ends with an error when the body stops before the answer is complete', () => {
    const t = azureAdapter.createStreamTranslator(req, targetOf());
    t.push(event(promptFilter));
    t.push(event(chunk({ delta: { role: 'assistant', content: 'Hi' } })));
    expect(types(t.end())).toEqual(['error']);
  });
});
