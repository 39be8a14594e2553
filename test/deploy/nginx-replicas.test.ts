/**
 * deploy/nginx/nginx.conf in front of two gateway replicas (`switchyard start` processes) sharing their
 * limits through Redis, as docker-compose runs them: nginx spreads requests over both, a key's rpm is
 * still counted once, and a stream still passes through unbuffered. The file is rendered by
 * ./nginx-harness.ts, with one upstream server per replica (./nginx-upstreams.ts).
 */
import OpenAI, { RateLimitError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedRedisUrl, useSharedRedisPrefix } from '../support/redis-server.js';
import { useReplicas, type Replica } from '../support/replicas.js';
import type { RunningNginx } from './nginx-harness.js';
import { startNginxForReplicas } from './nginx-upstreams.js';

const shared = useSharedRedisPrefix();
const replicas = useReplicas();
let nginx: RunningNginx | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
});

const adminKey = 'adm-nginx-replicas-0123';
const env = { LIMITED_KEY: 'sk-limited-0123456789', STREAM_KEY: 'sk-stream-0123456789', LOG_LEVEL: 'error' };
const messages = [{ role: 'user' as const, content: 'hi' }];

const config = (prefix: string) => `
version: 1
server: { admin_key: ${adminKey} }
simulators:
  fast: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  stream: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 10, output_tokens: 20 }
providers:
  fast: { type: openai, base_url: sim://fast }
  stream: { type: openai, base_url: sim://stream }
deployments:
  fast: { provider: fast, model: m, allow_floating: true }
  stream: { provider: stream, model: m, allow_floating: true }
routes:
  chat: { targets: [fast] }
  stream: { targets: [stream] }
keys:
  - { name: limited, key: "\${LIMITED_KEY}", limits: { rpm: 10 } }
  - { name: stream, key: "\${STREAM_KEY}" }
redis: { url: "${sharedRedisUrl}", key_prefix: "${prefix}" }
`;

/** Two replicas and nginx in front of them. */
async function start(): Promise<{ gws: Replica[]; nginx: RunningNginx }> {
  const gws = await replicas.start(2, config(shared.prefix()), env);
  nginx = await startNginxForReplicas(gws.map((gw) => gw.port));
  return { gws, nginx };
}

async function admin(gw: Replica, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' } });
}

describe('nginx in front of two replicas sharing limits through Redis', () => {
  it("counts a key's rpm once across the replicas nginx spreads the requests over", async () => {
    const { gws, nginx } = await start();
    const client = new OpenAI({ baseURL: `${nginx.url}/v1`, apiKey: env.LIMITED_KEY, maxRetries: 0, timeout: 30_000 });
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.chat.completions.create({ model: 'chat', messages }).then(
          () => 'admitted' as const,
          (err: unknown) => err,
        ),
      ),
    );
    const elapsedMs = performance.now() - started;
    const admitted = outcomes.filter((o) => o === 'admitted').length;
    // rpm 10: the first 10 always fit a fresh counter, then one each 6 s (+1: the test's clock and
    // Redis's TIME are read at different moments).
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + Math.floor(elapsedMs / 6000) + 1);
    for (const o of outcomes.filter((o) => o !== 'admitted')) {
      expect(o).toBeInstanceOf(RateLimitError);
      expect((o as RateLimitError).code).toBe('rate_limit_exceeded');
    }
    // nginx sent requests to both replicas: the count above is one count, not one per replica.
    for (const [i, gw] of gws.entries()) {
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics, `replica ${i} got requests through nginx`).toMatch(/^switchyard_requests_total\{route="chat",[^}]*\} [1-9]/m);
    }
  }, 60_000);

  // The upstream stalls after 3 content chunks and never produces the last one: the chunks before it
  // reaching the client is what "unbuffered" means, with no timing to argue about.
  it('passes a stream through unbuffered: its first chunks arrive while the rest is not yet produced', async () => {
    const { gws, nginx } = await start();
    for (const gw of gws) {
      const res = await admin(gw, '/admin/simulators/stream/faults', {
        method: 'POST',
        body: JSON.stringify({ faults: [{ type: 'stall', after_chunks: 3 }] }),
      });
      expect(res.status).toBe(200);
    }
    const abort = new AbortController();
    const deadline = setTimeout(() => abort.abort(), 15_000);
    let text = '';
    try {
      const res = await fetch(`${nginx.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.STREAM_KEY}` },
        body: JSON.stringify({ model: 'stream', stream: true, messages }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      while ((text.match(/^data: \{/gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      clearTimeout(deadline);
      abort.abort();
    }
    expect((text.match(/^data: \{/gm) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain('[DONE]');
  }, 60_000);
});
