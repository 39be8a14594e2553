/**
 * The probes that bring a deployment back early (health/probe-scheduler.ts), built once per Runtime: a
 * GET on the provider's health path — `health_check.path` when configured, else the adapter's own
 * (`/models` for OpenAI-compatible servers) — through the provider's endpoint pool, with the static
 * headers and the adapter's authorize step, as active health checks send it (upstream/health-checks.ts).
 * Never a paid completion. A provider without a health path, or a deployment with
 * `breaker.probe_interval_ms: 0`, gets no probes: its breaker waits `reset_ms` for a timed trial.
 */
import type { Config } from '../../config/schema.js';
import type { UpstreamHttpRequest } from '../../adapters/types.js';
import { probe, type HealthCheckOptions } from '../../upstream/health-checks.js';
import { ProbeScheduler, type ProbeResult } from '../health/probe-scheduler.js';
import type { DeploymentRuntime } from './types.js';

/** How long a probe may take when the provider sets no `health_check.timeout_ms`. */
const defaultProbeTimeoutMs = 2_000;

export function startBreakerProbes(
  config: Config,
  deployments: ReadonlyMap<string, DeploymentRuntime>,
  onProbe?: (deploymentId: string, result: ProbeResult) => void,
): ProbeScheduler {
  const scheduler = new ProbeScheduler(onProbe ? { onProbe } : {});
  for (const d of deployments.values()) {
    const intervalMs = config.deployments[d.id]?.breaker.probe_interval_ms ?? 0;
    const check = config.providers[d.provider.id]?.health_check;
    const { adapter, settings, pool } = d.provider;
    const path = check?.path ?? adapter.healthPath;
    if (intervalMs === 0 || path === undefined) continue;
    const authorize = adapter.authorize && ((req: UpstreamHttpRequest) => adapter.authorize!(req, d.target));
    const options: HealthCheckOptions = {
      path,
      intervalMs,
      timeoutMs: check?.timeout_ms ?? defaultProbeTimeoutMs,
      headers: settings.headers,
      ...(authorize ? { authorize } : {}),
    };
    let turn = 0;
    scheduler.adopt({
      deploymentId: d.id,
      health: d.health,
      intervalMs,
      // Endpoints in turn: the breaker covers the whole pool, and any server that is back will do.
      // A GPU pool found by discovery may have no endpoint yet: that probe fails.
      probe: async () => {
        const endpoints = pool.endpoints;
        return endpoints.length > 0 && probe(endpoints[turn++ % endpoints.length]!, options);
      },
    });
  }
  return scheduler;
}
