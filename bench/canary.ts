/**
 * What a canary costs each request, in process, on the compiled build: the variant assignment (a hash
 * of route, subject and salt; sticky on the body's user) and the guard's bookkeeping of a finished
 * request (one window slot), timed over batches of 1 000 so that the clock's own cost stays out. The
 * guard's evaluation runs once per `guard.interval` (5 s by default), not per request: its time is
 * shown per evaluation, over full windows.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './processes.js';
import { loadConfigText } from '../config/loader.js';

const config = `version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
  stable: { provider: p, model: m-2024-01-01 }
  next: { provider: p, model: m-2025-01-01 }
routes:
  chat:
    targets: [stable]
    canary: { targets: [next], percent: 5 }
`;

const batch = 1_000;

function medianUs(samples: number[]): number {
  samples.sort((a, b) => a - b);
  return +samples[Math.floor(samples.length / 2)]!.toFixed(3);
}

export async function measureCanary(batches = 300): Promise<Record<string, number>> {
  const compiled = (path: string) => pathToFileURL(join(root, 'dist', path)).href;
  const { buildRuntime } = (await import(compiled('gateway/runtime/build.js'))) as typeof import('../gateway/runtime/build.js');
  const { assignVariant } = (await import(compiled('gateway/routing/canary.js'))) as typeof import('../gateway/routing/canary.js');
  const { judge } = (await import(compiled('gateway/canary/guard.js'))) as typeof import('../gateway/canary/guard.js');
  const loaded = loadConfigText(config, 'bench.yaml', {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const rt = buildRuntime(loaded.config);
  const route = rt.routes.get('chat')!;
  const control = route.canary!.control;
  const bodies = Array.from({ length: batch }, (_, i) => ({ model: 'chat', user: `user-${i * 7919}`, messages: [] }));
  const observation = { failed: false, ttftMs: 180, latencyMs: 900, costUsd: 0.0012 };
  const assign: number[] = [];
  const observe: number[] = [];
  let canary = 0;
  for (let b = 0; b < batches; b += 1) {
    let t = performance.now();
    for (const body of bodies) if (assignVariant(route, body, undefined, {}, undefined, Math.random) === 'canary') canary += 1;
    assign.push(((performance.now() - t) * 1000) / batch);
    t = performance.now();
    for (let i = 0; i < batch; i += 1) {
      observation.latencyMs = 500 + (i % 700);
      control.observe(i % 20 === 0 ? 'canary' : 'stable', t, observation);
    }
    observe.push(((performance.now() - t) * 1000) / batch);
  }
  const evaluations: number[] = [];
  for (let i = 0; i < 200; i += 1) {
    const now = performance.now();
    const t = performance.now();
    judge(control.windows!.stable.summary(now), control.windows!.canary.summary(now), control.plan.guard!);
    evaluations.push((performance.now() - t) * 1000);
  }
  await rt.close();
  const assignUs = medianUs(assign);
  const observeUs = medianUs(observe);
  return {
    'assign (µs/request)': assignUs,
    'guard bookkeeping (µs/request)': observeUs,
    'together (µs/request)': +(assignUs + observeUs).toFixed(3),
    'guard evaluation (µs, once per interval)': medianUs(evaluations),
    'canary share seen (%)': +((100 * canary) / (batches * batch)).toFixed(2),
  };
}
