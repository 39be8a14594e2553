/**
 * The admin API, on only when `server.admin_key` is set (otherwise its paths do not exist): the live
 * state of every deployment, and operator overrides for drills — force a breaker open or closed, drain
 * a deployment (no new requests; in-flight ones finish), restore it; reload the config file. Bearer
 * auth, timing-safe. The config's in-process simulators are reached through it too
 * (routes/admin-simulators.ts).
 */
import { keyReport } from '../gateway/limits/key-report.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { secretsEqual } from '../gateway/access/keys.js';
import { poolStates } from '../gateway/runtime/pool-views.js';
import type { DeploymentRuntime } from '../gateway/runtime/types.js';
import type { Runtime } from '../gateway/runtime/runtime.js';
import { presentedKey } from './authenticate.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import type { GatewayDeps } from './deps.js';

type Action = 'open' | 'close' | 'drain' | 'restore';
const actions: readonly Action[] = ['open', 'close', 'drain', 'restore'];

function round(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 10) / 10;
}

function round2(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value * 100) / 100;
}

export function deploymentState(d: DeploymentRuntime, now: number) {
  const s = d.health.stats.snapshot(now);
  const breaker = d.health.breaker;
  return {
    id: d.id,
    provider: d.provider.id,
    model: d.target.model,
    context_window: d.contextWindow ?? null,
    learned_context_window: d.health.learnedContextWindow ?? null,
    available: d.health.available(now),
    breaker: { state: breaker.state(now), forced: breaker.forced ?? null, next_trial_wait_ms: breaker.currentWaitMs },
    drained: d.health.drained,
    // Model drift: answers that named another model than `model`, per named id; `drifted` while
    // on_drift: fail_over holds the deployment out of plans (restore clears it).
    drifted: d.health.drift.held,
    served_models: d.health.drift.servedModels(),
    rate_limited_for_ms: Math.max(0, Math.round(d.health.cooldownUntil - now)),
    ejected_for_ms: Math.max(0, Math.round(d.health.ejectedUntil - now)),
    ejections: d.health.ejections,
    in_flight: s.inFlight,
    latency_ewma_ms: round(s.latencyMs),
    ttft_ewma_ms: round(s.ttftMs),
    // What the adaptive per-try limit measures against (gateway/execute/adaptive-limit.ts).
    answer_ms_per_token_eq: round2(s.answerMsPerWork),
    first_token_ms_per_token_eq: round2(s.firstTokenMsPerWork),
    output_tokens_ewma: round(s.outputTokens),
    error_rate: Math.round(s.errorRate * 1000) / 1000,
    recent_attempts: s.recentAttempts,
    last_error_kind: s.lastErrorKind ?? null,
    last_failure_ms_ago: s.lastFailureAt === undefined ? null : Math.round(now - s.lastFailureAt),
  };
}

/** A 200 JSON answer of the admin API (never cached). */
export function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** Whether the request may use the admin API; if not, the 404 (admin API off) or 401 is sent. */
export function authorize(rt: Runtime, req: IncomingMessage, res: ServerResponse): boolean {
  const adminKey = rt.config.server.admin_key;
  if (!adminKey) {
    sendError(
      res,
      new GatewayError('unknown_url', `Invalid URL (${req.method} ${req.url?.split('?')[0]?.slice(0, 200)}).`, { bodyCode: 'unknown_url' }),
    );
    return false;
  }
  const presented = presentedKey(req);
  if (presented === undefined || !secretsEqual(presented, adminKey)) {
    sendError(
      res,
      new GatewayError('invalid_api_key', 'The admin API needs the admin key (server.admin_key) as Authorization: Bearer.', {
        bodyCode: 'invalid_api_key',
      }),
    );
    return false;
  }
  return true;
}

export function createAdminHandlers(deps: GatewayDeps) {
  return {
    state: (req: IncomingMessage, res: ServerResponse): void => {
      assignRequestId(req, res);
      const rt = deps.runtime.current;
      if (!authorize(rt, req, res)) return;
      const now = performance.now();
      sendJson(res, {
        deployments: [...rt.deployments.values()].map((d) => deploymentState(d, now)),
        routes: [...rt.routes.values()].map((r) => ({
          name: r.name,
          strategy: r.strategy,
          targets: r.targets.map((d) => d.id),
          fallbacks: r.fallbacks.map((d) => d.id),
        })),
        pools: poolStates(rt),
      });
    },
    /** GET /admin/keys and /admin/keys/{name}: limits, their state, and usage by UTC day and month. */
    keys: async (req: IncomingMessage & { params: { name?: string } }, res: ServerResponse): Promise<void> => {
      const requestId = assignRequestId(req, res);
      try {
        const rt = deps.runtime.current;
        if (!authorize(rt, req, res)) return;
        const store = rt.limiter?.store;
        const name = req.params.name;
        const keys = name === undefined ? rt.keys.all : rt.keys.all.filter((k) => k.name === name);
        if (name !== undefined && keys.length === 0)
          throw new GatewayError('model_not_found', `No key named '${name.slice(0, 200)}'. GET /admin/keys lists them.`, {
            bodyCode: 'key_not_found',
          });
        const reports = store ? await Promise.all(keys.map((k) => keyReport(store, k))) : [];
        sendJson(res, name === undefined ? { store: store?.mode ?? 'none configured', keys: reports } : reports[0]);
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
    /**
     * POST /admin/reload: re-reads the config file and applies it, even when unchanged (as SIGHUP does:
     * an operator who asks gets a reload). A refused file answers 400 with every error; the old config serves on.
     */
    reload: (req: IncomingMessage, res: ServerResponse): void => {
      const requestId = assignRequestId(req, res);
      try {
        if (!authorize(deps.runtime.current, req, res)) return;
        if (!deps.reloadConfig)
          throw new GatewayError(
            'no_config_file',
            'This gateway was started from a config in memory, not a file: there is nothing to reload.',
          );
        const outcome = deps.reloadConfig();
        deps.logger.warn({ requestId, result: outcome.result }, 'admin config reload');
        if (outcome.result === 'invalid')
          throw new GatewayError(
            'config_invalid',
            `The config has ${outcome.errors.length} error(s); still serving the previous config.\n${outcome.errors.join('\n')}`,
          );
        if (outcome.result === 'build_failed')
          throw new GatewayError('config_invalid', `The config could not be built (${outcome.error}); still serving the previous config.`, {
            bodyCode: 'config_build_failed',
          });
        sendJson(
          res,
          outcome.result === 'reloaded'
            ? {
                result: outcome.result,
                routes: outcome.routes,
                deployments: outcome.deployments,
                restart_needed: outcome.restartNeeded,
                warnings: outcome.warnings,
              }
            : { result: outcome.result },
        );
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
    act: (req: IncomingMessage & { params: { id?: string; action?: string } }, res: ServerResponse): void => {
      const requestId = assignRequestId(req, res);
      try {
        const rt = deps.runtime.current;
        if (!authorize(rt, req, res)) return;
        const d = rt.deployments.get(req.params.id ?? '');
        const action = req.params.action as Action;
        if (!d)
          throw new GatewayError(
            'model_not_found',
            `No deployment '${String(req.params.id).slice(0, 200)}'. GET /admin/state lists them.`,
            { bodyCode: 'deployment_not_found' },
          );
        if (!actions.includes(action))
          throw new GatewayError('unknown_url', `Unknown action '${String(action).slice(0, 40)}': use open, close, drain or restore.`, {
            bodyCode: 'unknown_url',
          });
        if (action === 'open' || action === 'close') d.health.force(action === 'open' ? 'open' : 'closed');
        else if (action === 'drain') d.health.drain();
        else d.health.restore();
        deps.logger.warn({ deployment: d.id, action, requestId }, 'admin override');
        sendJson(res, deploymentState(d, performance.now()));
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
  };
}
