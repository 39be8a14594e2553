/**
 * Metric names are a contract (dashboards and alerts read them): every metric the gateway registers —
 * its own, the pass-through's, the GPU pools' — has its line in README.md's metrics table, and the
 * table names no metric the gateway does not have. Adding a metric without documenting it fails here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createGatewayMetrics } from '../../telemetry/metrics.js';
import { passthroughMetrics } from '../../telemetry/passthrough-metrics.js';
import { registerPoolMetrics } from '../../telemetry/pool-metrics.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The `### Metrics` section's table: the metric names in its first column. */
function documentedMetrics(): Set<string> {
  const section = readme.slice(readme.indexOf('\n### Metrics\n'));
  const table = section.slice(0, section.indexOf('\n## '));
  const names = new Set<string>();
  for (const line of table.split('\n')) {
    const first = line.startsWith('| `') ? line.split(' | ')[0]! : '';
    for (const m of first.matchAll(/`(switchyard_[a-z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

async function registeredMetrics(): Promise<string[]> {
  const metrics = createGatewayMetrics('test', { processMetrics: false });
  passthroughMetrics(metrics.registry);
  registerPoolMetrics(metrics.registry, () => []);
  return (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
}

describe("README's metrics table", () => {
  it('documents every metric the gateway registers', async () => {
    const documented = documentedMetrics();
    const missing = (await registeredMetrics()).filter((name) => !documented.has(name));
    expect(missing, 'metrics without a line in README.md ### Metrics').toEqual([]);
  });

  it('names no metric the gateway does not register', async () => {
    const registered = new Set(await registeredMetrics());
    expect([...documentedMetrics()].filter((name) => !registered.has(name))).toEqual([]);
  });
});
