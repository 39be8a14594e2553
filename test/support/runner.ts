/**
 * The attempt runner without upstreams, for unit tests: a Runtime built from a config text (closed after
 * each test) and a fresh AttemptRun on one of its routes, telling `telemetry` what happens.
 */
import { afterEach } from 'vitest';
import { loadConfigText, formatIssue } from '../../config/loader.js';
import { buildRuntime } from '../../gateway/runtime/build.js';
import type { Runtime } from '../../gateway/runtime/runtime.js';
import type { RouteRuntime } from '../../gateway/runtime/types.js';
import { AttemptRun } from '../../gateway/execute/attempt-runner.js';
import { ClientLink } from '../../gateway/execute/client-link.js';
import type { TelemetrySink } from '../../telemetry/sink.js';
import { seededRandom } from './seeded-random.js';

/** Builds Runtimes from config texts and closes each after its test. Call once per file. */
export function useRuntimes(): (yaml: string) => Runtime {
  const open: Runtime[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((rt) => rt.close()));
  });
  return (yaml) => {
    const loaded = loadConfigText(yaml, 'runner.yaml', {});
    if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
    const rt = buildRuntime(loaded.config);
    open.push(rt);
    return rt;
  };
}

/** A request's run on `route`, with a seeded random source. */
export function newRun(route: RouteRuntime, telemetry: TelemetrySink): AttemptRun {
  return new AttemptRun({
    route,
    client: new ClientLink(),
    receivedAt: performance.now(),
    telemetry,
    redact: (t) => t,
    random: seededRandom(7),
  });
}
