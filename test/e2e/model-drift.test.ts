/**
 * Model drift end to end: a simulator whose answers name another model than the deployment's pinned
 * one (the sim's `drift` fault). Counted in switchyard_model_drift_total, logged once per served id,
 * shown in /admin/state; with on_drift: fail_over the deployment leaves the plan (the answer that showed
 * the drift is still delivered) until POST /admin/deployments/{id}/restore.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatIssue, loadConfigText } from '../../config/loader.js';
import { startSwitchyard, type RunningGateway } from '../../cli/start.js';

const adminKey = 'adm-drift-0123456789';
const pinned = 'gpt-4o-mini-2024-07-18';
const config = `version: 1
server: { admin_key: ${adminKey} }
simulators:
  cloud: { kind: openai, model: ${pinned}, ttft_ms: 0, tpot_ms: 0, output_tokens: 4 }
  gpu: { kind: vllm, model: llama, ttft_ms: 0, tpot_ms: 0, output_tokens: 4 }
providers:
  cloud: { type: openai, base_url: sim://cloud }
  gpu: { type: vllm, base_url: sim://gpu }
deployments:
  recorded: { provider: cloud, model: ${pinned} }
  guarded: { provider: cloud, model: ${pinned}, on_drift: fail_over }
  llama@gpu: { provider: gpu, model: llama }
routes:
  record: { targets: [recorded] }
  guard: { targets: [guarded], fallbacks: [llama@gpu] }
`;

const lines: Array<Record<string, unknown>> = [];
let gw: RunningGateway;

beforeAll(async () => {
  const loaded = loadConfigText(config, 'drift.yaml', {});
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
});
afterAll(() => gw.close(1000));
beforeEach(() => {
  gw.reload(undefined, { freshState: true });
  for (const s of gw.simulators.values()) s.clearFaults();
  lines.length = 0;
});

const cloud = () => gw.simulators.get('cloud')!;
const chat = async (model: string, stream = false) => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, deployment: res.headers.get('x-switchyard-deployment'), text: await res.text() };
};
const admin = async (path: string, method = 'GET') =>
  (await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${adminKey}` } })).json() as Promise<
    Record<string, unknown>
  >;
const stateOf = async (id: string) =>
  ((await admin('/admin/state')).deployments as Array<Record<string, unknown>>).find((d) => d.id === id)!;
const driftLines = () => lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('model drift'));
const driftMetric = async (deployment: string, served: string): Promise<number> => {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`switchyard_model_drift_total{deployment="${deployment}",served="${served}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
};

describe('model drift', () => {
  it('answers that name the pinned model are not drift', async () => {
    expect((await chat('record')).status).toBe(200);
    expect((await chat('record', true)).status).toBe(200);
    expect(await stateOf('recorded')).toMatchObject({ drifted: false, served_models: {} });
    expect(driftLines()).toEqual([]);
  });

  it('record: counts each drifted answer (stream and not), logs each served id once, shows it in /admin/state', async () => {
    cloud().setFaults([{ type: 'drift', model: 'gpt-4o-mini-2025-01-01' }]);
    const first = await chat('record');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ model: 'gpt-4o-mini-2025-01-01' });
    expect((await chat('record', true)).status).toBe(200);
    expect((await chat('record')).status).toBe(200);
    expect(await driftMetric('recorded', 'gpt-4o-mini-2025-01-01')).toBe(3);
    expect(driftLines()).toEqual([
      expect.objectContaining({ level: 40, deployment: 'recorded', pinned, served: 'gpt-4o-mini-2025-01-01' }),
    ]);
    expect(await stateOf('recorded')).toMatchObject({ drifted: false, available: true, served_models: { 'gpt-4o-mini-2025-01-01': 3 } });
  });

  it('caps the distinct served ids per deployment: the rest count as other', async () => {
    for (let i = 0; i < 12; i += 1) {
      cloud().setFaults([{ type: 'drift', model: `snapshot-${i}` }]);
      expect((await chat('record')).status).toBe(200);
    }
    const served = (await stateOf('recorded')).served_models as Record<string, number>;
    expect(Object.keys(served)).toHaveLength(11);
    expect(served['other']).toBe(2);
    expect(await driftMetric('recorded', 'other')).toBe(2);
    expect(driftLines()).toHaveLength(11); // ten ids and the first `other`
  });

  it('fail_over: the drifted answer is delivered, then traffic moves to the fallback until restore', async () => {
    cloud().setFaults([{ type: 'drift', model: 'gpt-4o-mini-2025-01-01', count: 1 }]);
    const drifted = await chat('guard');
    expect(drifted).toMatchObject({ status: 200, deployment: 'guarded' });
    expect(await stateOf('guarded')).toMatchObject({ drifted: true, available: false, served_models: { 'gpt-4o-mini-2025-01-01': 1 } });
    expect(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('deployment taken out of plans after model drift'))).toBe(true);

    const before = cloud().stats().requests;
    expect(await chat('guard')).toMatchObject({ status: 200, deployment: 'llama@gpu' });
    expect(await chat('guard', true)).toMatchObject({ status: 200, deployment: 'llama@gpu' });
    expect(cloud().stats().requests).toBe(before);
    // A reload keeps the hold (the deployment is the same): only the operator brings it back.
    gw.reload();
    expect(await chat('guard')).toMatchObject({ status: 200, deployment: 'llama@gpu' });

    expect(await admin('/admin/deployments/guarded/restore', 'POST')).toMatchObject({ drifted: false, available: true });
    expect(await chat('guard')).toMatchObject({ status: 200, deployment: 'guarded' });
  });
});
