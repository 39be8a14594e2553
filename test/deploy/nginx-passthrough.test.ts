/**
 * deploy/nginx/nginx.conf's /passthrough/ location on a real nginx (./nginx-harness.ts) in front of a
 * gateway with a pass-through: a Realtime WebSocket upgrades end to end (nginx passes Upgrade and
 * Connection there), and an upload larger than the inference API's body limit streams through to the
 * simulator intact (nginx neither buffers it nor caps it at the API's limit).
 */
import OpenAI, { toFile } from 'openai';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseByteSize } from '../../config/loader.js';
import { realtimeAnswer } from '../../sim/realtime.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { composeGatewayConfig, startNginx, type RunningNginx } from './nginx-harness.js';

const bodyLimit = parseByteSize(composeGatewayConfig().server.body_limit);

const PASSTHROUGH_PROVIDER_KEY = 'sk-provider-passthrough-0123456789';
const PASSTHROUGH_KEY = 'sk-gw-passthrough-000000000001';

describe('nginx in front of a gateway with a pass-through (/passthrough/cloud/...)', () => {
  let gw: TestGateway;
  let nginx: RunningNginx;
  let startFailure: Error | undefined;
  beforeAll(async () => {
    try {
      gw = await startTestGateway(
        `
version: 1
server: { body_limit: ${bodyLimit} }
simulators:
  cloud: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 1, output_tokens: 4, api_key: ${PASSTHROUGH_PROVIDER_KEY} }
providers:
  cloud: { type: openai, base_url: sim://cloud, api_key: ${PASSTHROUGH_PROVIDER_KEY} }
deployments:
  m@cloud: { provider: cloud, model: m, allow_floating: true }
routes:
  m: { targets: [m@cloud] }
passthrough:
  cloud: { paths: [/v1/files, /v1/realtime] }
keys:
  - { name: team, key: ${PASSTHROUGH_KEY} }
`,
      );
      nginx = await startNginx({ upstreamPort: gw.port });
    } catch (err) {
      startFailure = err instanceof Error ? err : new Error(String(err));
    }
  });
  afterAll(async () => {
    await nginx?.stop();
    await gw?.close(500);
  });
  beforeEach(() => {
    if (startFailure) throw startFailure;
    gw.sim('cloud').resetStats();
  });

  it('runs a Realtime WebSocket session through nginx and the gateway to the simulator', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${nginx.port}/passthrough/cloud/v1/realtime?model=gpt-realtime`, {
      headers: { authorization: `Bearer ${PASSTHROUGH_KEY}` },
    });
    const events: string[] = [];
    const text = await new Promise<string>((resolve, reject) => {
      let deltas = '';
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}\n${nginx.log()}`)));
      ws.once('error', reject);
      ws.on('message', (data: Buffer) => {
        const event = JSON.parse(data.toString('utf8')) as { type: string; delta?: string };
        events.push(event.type);
        if (event.type === 'session.created')
          ws.send(JSON.stringify({ type: 'response.create', response: { output_modalities: ['text'] } }));
        if (event.type === 'response.output_text.delta') deltas += event.delta ?? '';
        if (event.type === 'response.done') resolve(deltas);
      });
    });
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close();
    await closed;
    expect(text).toBe(realtimeAnswer);
    expect(events[0]).toBe('session.created');
    const upgrade = gw
      .sim('cloud')
      .recentRequests()
      .find((r) => r.path === '/v1/realtime');
    expect(upgrade?.headers.authorization).toBe(`Bearer ${PASSTHROUGH_PROVIDER_KEY}`);
    expect(upgrade?.headers.upgrade).toBe('websocket');
  });

  it("streams an upload larger than the inference API's body limit through to the simulator, intact", async () => {
    const size = 6 * 1024 * 1024 + 12_345;
    expect(size).toBeGreaterThan(bodyLimit);
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 10)) & 0xff;
    const client = new OpenAI({ baseURL: `${nginx.url}/passthrough/cloud/v1`, apiKey: PASSTHROUGH_KEY, maxRetries: 0, timeout: 30_000 });
    const file = await client.files.create({ file: await toFile(bytes, 'big.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', bytes: size, filename: 'big.jsonl' });
    const content = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
    expect(content.length).toBe(size);
    expect(content.equals(bytes)).toBe(true);
    const upload = gw
      .sim('cloud')
      .recentRequests()
      .find((r) => r.method === 'POST' && r.path === '/v1/files');
    expect(upload?.headers.authorization).toBe(`Bearer ${PASSTHROUGH_PROVIDER_KEY}`);
  });
});
