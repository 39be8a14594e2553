/**
 * The listener takes its timeouts from the config: how long headers, and a whole request with its
 * body (a large pass-through upload needs more than the default), may take to arrive, and how long an
 * idle keep-alive connection stays open.
 */
import { describe, expect, it } from 'vitest';
import { listen } from '../../routes/server.js';
import { loadConfigText, formatIssue } from '../../config/loader.js';

function serverConfig(extra: string) {
  const loaded = loadConfigText(
    `version: 1
server: { port: 8080${extra} }
providers:
  p: { type: vllm, base_url: "http://127.0.0.1:9/v1" }
deployments:
  d: { provider: p, model: m }
routes:
  r: { targets: [d] }
`,
    'server.yaml',
    {},
  );
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  return loaded.config.server;
}

describe('server timeouts', () => {
  it('defaults to 60 s for a whole request, and takes request_timeout_ms from the config', () => {
    expect(serverConfig('').request_timeout_ms).toBe(60_000);
    expect(serverConfig(', request_timeout_ms: 900000').request_timeout_ms).toBe(900_000);
  });

  it('gives the node server the configured timeouts', async () => {
    const listening = await listen((_req, res) => res.end(), '127.0.0.1', 0, {
      headersTimeoutMs: 12_000,
      requestTimeoutMs: 900_000,
      keepAliveTimeoutMs: 61_000,
    });
    try {
      expect(listening.server.headersTimeout).toBe(12_000);
      expect(listening.server.requestTimeout).toBe(900_000);
      expect(listening.server.keepAliveTimeout).toBe(61_000);
    } finally {
      await listening.stopAccepting();
    }
  });
});
