/**
 * The limits row of `npm run bench`: the same gateway build with a key whose rpm and tpm are counted in
 * Redis (one Lua round trip per request at admission, one settlement after it), and in memory, against
 * the gateway without keys or limits, measured in alternating rounds under the same load. The limits are
 * far above the load, so every request is admitted: what is measured is their cost, not refusals.
 */
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSwitchyard, type Child } from './processes.js';
import { runLoad } from './load.js';
import { bodyFor, concurrency, gatewayConfig, measureGateway, medianRow, rounds, signed, warmup, type GatewayRow } from './measure.js';

/** The load generator sends `Authorization: Bearer bench` (bench/load.ts): configured by its digest. */
const benchKeyDigest = createHash('sha256').update('bench').digest('hex');

export const redisForBench = { host: '127.0.0.1', port: 6379 };

export function limitsConfig(base: string, redisUrl: string | undefined): string {
  const redis = redisUrl === undefined ? '' : `redis: { url: "${redisUrl}", key_prefix: "switchyard-bench:${process.pid}:" }\n`;
  return `${base}keys:
  - { name: bench, key_sha256: ${benchKeyDigest}, limits: { rpm: 100000000, tpm: 1000000000 } }
${redis}`;
}

/** Whether a Redis answers at 127.0.0.1:6379 (the row is skipped, with a note, when none does). */
export function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(redisForBench.port, redisForBench.host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(500, () => done(false));
  });
}

/** Starts the compiled gateway on `config` (a temporary file, removed when it stops). */
export async function startGatewayWith(config: string, name: string): Promise<Child & { origin: string }> {
  const path = join(tmpdir(), `switchyard-bench-${process.pid}-${name}.yaml`);
  writeFileSync(path, config);
  const child = await spawnSwitchyard(
    ['start', '--config', path, '--port', '0'],
    /listening on (http:\/\/\S+)/,
    { LOG_LEVEL: 'info' },
    true,
  );
  return {
    proc: child.proc,
    origin: child.match[1]!,
    async stop() {
      await child.stop();
      rmSync(path, { force: true });
    },
  };
}

/**
 * Keys with rpm/tpm limits in Redis, and in memory, against the plain gateway: `rounds` alternating
 * rounds per path, medians. Undefined when no Redis answers (the row says so instead).
 */
export async function measureLimits(simOrigin: string, plainOrigin: string) {
  if (!(await redisAnswers())) return undefined;
  const variants = [
    { name: 'limits in Redis', gw: await startGatewayWith(limitsConfig(gatewayConfig(simOrigin), 'redis://127.0.0.1:6379'), 'redis') },
    { name: 'limits in memory', gw: await startGatewayWith(limitsConfig(gatewayConfig(simOrigin), undefined), 'memory') },
  ];
  try {
    const out = [];
    for (const stream of [false, true]) {
      const kind = stream ? 'stream' : 'non-stream';
      for (const v of variants) await runLoad(v.gw.origin, '/v1/chat/completions', bodyFor('bench', stream), warmup, concurrency);
      const plain: GatewayRow[] = [];
      const measured = new Map<string, GatewayRow[]>(variants.map((v) => [v.name, []]));
      for (let i = 0; i < rounds; i++) {
        plain.push(await measureGateway('plain', plainOrigin, stream));
        for (const v of variants) measured.get(v.name)!.push(await measureGateway(v.name, v.gw.origin, stream));
      }
      const p = medianRow('plain', plain);
      for (const v of variants) {
        const rows = measured.get(v.name)!;
        const m = medianRow(v.name, rows);
        out.push({
          path: kind,
          variant: v.name,
          cpuUsPerRequest: m.cpuUsPerRequest,
          'CPU vs no limits (µs)': signed(m.cpuUsPerRequest! - p.cpuUsPerRequest!, 0),
          'added p50 vs no limits (ms)': signed(m.p50 - p.p50),
          'added p99 vs no limits (ms)': signed(m.p99 - p.p99),
          'per round CPU (limits − none)': rows.map((r, i) => signed(r.cpuUsPerRequest! - plain[i]!.cpuUsPerRequest!, 0)).join(', '),
          errors: m.errors,
        });
      }
    }
    return out;
  } finally {
    for (const v of variants) await v.gw.stop();
  }
}
