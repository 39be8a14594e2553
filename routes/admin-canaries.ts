/**
 * The canary part of the admin API: `GET /admin/canaries` (every rollout: status, share, ramp, the
 * guard's last verdict, each variant's window, the gate, recent transitions), `GET /admin/canaries/{route}`,
 * and `POST /admin/canaries/{route}/{promote|rollback|pause|resume}` (an optional JSON body `{"reason": "…"}`
 * is recorded). With Redis, an action reaches every replica within a second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors/catalogue.js';
import { canaryActions, type CanaryAction, type CanaryControl } from '../gateway/canary/control.js';
import { canaryReport } from '../gateway/canary/report.js';
import type { Runtime } from '../gateway/runtime/runtime.js';
import { authorize, sendJson } from './admin.js';
import { assignRequestId } from './request-id.js';
import { sendError, toGatewayError } from './http-errors.js';
import { parseJsonObject, readRawBody } from './json-body.js';
import type { GatewayDeps } from './deps.js';

function controlOf(rt: Runtime, name: string | undefined): CanaryControl {
  const route = rt.routes.get(name ?? '');
  if (route?.canary === undefined) {
    const withCanary = [...rt.routes.values()].filter((r) => r.canary).map((r) => r.name);
    throw new GatewayError(
      'model_not_found',
      `No route '${String(name).slice(0, 200)}' with a canary; ${withCanary.length ? `routes with one: ${withCanary.join(', ')}` : 'no route has one'}.`,
      { bodyCode: 'canary_not_found' },
    );
  }
  return route.canary.control;
}

const report = (c: CanaryControl) => canaryReport(c, Date.now(), performance.now());

export function createCanaryAdminHandlers(deps: GatewayDeps) {
  return {
    list: (req: IncomingMessage & { params: { route?: string } }, res: ServerResponse): void => {
      const requestId = assignRequestId(req, res);
      try {
        const rt = deps.runtime.current;
        if (!authorize(rt, req, res)) return;
        if (req.params.route !== undefined) return sendJson(res, report(controlOf(rt, req.params.route)));
        const controls = [...rt.routes.values()].flatMap((r) => (r.canary ? [r.canary.control] : []));
        sendJson(res, { canaries: controls.map(report) });
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
    act: async (req: IncomingMessage & { params: { route?: string; action?: string } }, res: ServerResponse): Promise<void> => {
      const requestId = assignRequestId(req, res);
      try {
        const rt = deps.runtime.current;
        if (!authorize(rt, req, res)) return;
        const control = controlOf(rt, req.params.route);
        const action = req.params.action as CanaryAction;
        if (!canaryActions.includes(action))
          throw new GatewayError('unknown_url', `Unknown action '${String(action).slice(0, 40)}': use ${canaryActions.join(', ')}.`, {
            bodyCode: 'unknown_url',
          });
        const raw = await readRawBody(req, 16 * 1024);
        const body = raw.length === 0 ? {} : parseJsonObject(raw);
        const reason = typeof body.reason === 'string' && body.reason !== '' ? body.reason.slice(0, 500) : undefined;
        const outcome = await control.act(action, reason);
        if (!outcome.ok)
          throw new GatewayError('canary_conflict', `Cannot ${action} the canary of '${control.plan.route}': ${outcome.message}.`);
        deps.logger.warn(
          { requestId, route: control.plan.route, action, status: control.state.status, percent: control.state.percent },
          'admin canary action',
        );
        sendJson(res, report(control));
      } catch (err) {
        sendError(res, toGatewayError(err, requestId));
      }
    },
  };
}
