/**
 * A GPU server whose answers the test sets: `/health` status and body, the models `/v1/models`
 * lists, the `/metrics` page (or a status instead). For what the vllm simulator does not do (a 503
 * while loading, a failing metrics page); every request is recorded.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeServer {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  health: { status: number; body: string };
  models: string[];
  metrics: { status: number; body: string };
  readonly seen: Array<{ url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export function vllmMetrics(waiting: number, running: number, kv: number): string {
  return [
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{model_name="llama"} ${waiting}`,
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{model_name="llama"} ${running}`,
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc{model_name="llama"} ${kv}`,
    '',
  ].join('\n');
}

export async function startFakeServer(
  init: Partial<Pick<FakeServer, 'health' | 'models' | 'metrics'>> = {},
  port = 0,
): Promise<FakeServer> {
  const fake = {
    health: init.health ?? { status: 200, body: '' },
    models: init.models ?? ['llama'],
    metrics: init.metrics ?? { status: 200, body: vllmMetrics(0, 0, 0) },
    seen: [] as FakeServer['seen'],
  };
  const server: Server = createServer((req, res) => {
    fake.seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/health') {
      res.writeHead(fake.health.status, { 'content-type': 'application/json' });
      res.end(fake.health.body);
    } else if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: fake.models.map((id) => ({ id, object: 'model' })) }));
    } else if (req.url === '/metrics') {
      res.writeHead(fake.metrics.status, { 'content-type': 'text/plain' });
      res.end(fake.metrics.body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${bound}`;
  return Object.assign(fake, {
    url: `${origin}/v1`,
    origin,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  });
}
