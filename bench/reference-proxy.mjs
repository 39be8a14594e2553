/**
 * The two reference points DESIGN.md gives the gateway's CPU budget against, measured in the same run
 * as the gateway: a raw node:http + undici proxy, and a bare Express 5 + express.json proxy. Each
 * forwards POST /v1/chat/completions to the simulator (re-serialising the body, as a proxy that reads
 * `model` must) and pipes the answer back. `GET /cpu` reports the process's CPU time in µs.
 * Plain JavaScript, run by node itself, so no TypeScript loader adds to what it measures.
 * Run as: node bench/reference-proxy.mjs raw|express UPSTREAM_ORIGIN MODEL (the simulator's model, which it serves alone)
 */
import { createServer } from 'node:http';
import express from 'express';
import { Pool } from 'undici';

const [kind, upstream, model] = process.argv.slice(2);
if ((kind !== 'raw' && kind !== 'express') || !upstream || !model) {
  console.error('usage: reference-proxy.mjs raw|express UPSTREAM_ORIGIN MODEL');
  process.exit(2);
}
const pool = new Pool(upstream, { connections: 64 });

async function forward(body, res) {
  const up = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, model }),
  });
  res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') });
  for await (const chunk of up.body) res.write(chunk);
  res.end();
}

function cpu(res) {
  const u = process.cpuUsage();
  res.end(String(u.user + u.system));
}

let server;
if (kind === 'raw') {
  server = createServer((req, res) => {
    if (req.method === 'GET') return cpu(res);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => void forward(JSON.parse(Buffer.concat(chunks).toString()), res));
  });
} else {
  const app = express();
  app.use(express.json({ limit: '4mb' }));
  app.get('/cpu', (_req, res) => cpu(res));
  app.post('/v1/chat/completions', (req, res) => void forward(req.body, res));
  server = createServer(app);
}
server.listen(0, '127.0.0.1', () => {
  console.log(`reference proxy (${kind}) on http://127.0.0.1:${server.address().port}`);
});
