/**
 * Several `switchyard start` processes from one config file, as replicas behind a load balancer run:
 * each its own process on its own loopback port, sharing only what the config points them at (Redis).
 * Every replica a test started is killed, and its exit awaited, after the test — so nothing it would
 * still write to Redis lands after the test's keys are cleaned up (call `useReplicas()` after
 * `useSharedRedisPrefix()`: after-each hooks run in reverse order).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { killCliProcessesAfterEach, startCli, type CliProcess } from './cli-process.js';

export interface Replica {
  readonly process: CliProcess;
  /** http://127.0.0.1:PORT: /health/ready and /metrics live here. */
  readonly url: string;
  /** The OpenAI base URL (…/v1). */
  readonly baseURL: string;
  readonly port: number;
  /** SIGKILL: gone at once, releasing nothing (a crashed node); resolves once it has exited. */
  kill(): Promise<void>;
}

export interface Replicas {
  /**
   * Writes `config` to a file and starts `count` replicas from it, on 127.0.0.1 and free ports; `env`
   * adds to their environment (the `${VAR}`s the config names).
   */
  start(count: number, config: string, env?: Record<string, string>): Promise<Replica[]>;
}

export function useReplicas(): Replicas {
  // A backstop for a replica that never printed its banner (no handle here to kill it by).
  killCliProcessesAfterEach();
  const running: Replica[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.kill()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    async start(count, config, env = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-replicas-'));
      dirs.push(dir);
      const file = join(dir, 'switchyard.yaml');
      writeFileSync(file, config);
      // Started together: each compiles the sources through tsx, which is most of its start-up time.
      const started = await Promise.allSettled(
        Array.from({ length: count }, () => startCli(['--config', file, '--host', '127.0.0.1', '--port', '0'], env)),
      );
      const replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [replicaOf(s.value)] : []));
      running.push(...replicas);
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      return replicas;
    },
  };
}

function replicaOf(process: CliProcess): Replica {
  const baseURL = process.url;
  const url = baseURL.replace(/\/v1$/, '');
  return {
    process,
    url,
    baseURL,
    port: Number(new URL(url).port),
    async kill() {
      const { child } = process;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await process.closed();
    },
  };
}
