/**
 * The route a request names in `model`, if the key may use it and it serves the operation. An unknown
 * route and a route the key may not call get the same 404, as OpenAI answers: the error must not reveal
 * which routes exist.
 */
import type { Operation } from '../../adapters/types.js';
import { GatewayError } from '../errors/catalogue.js';
import { mayUseRoute, type ClientKey } from '../access/keys.js';
import type { RouteRuntime } from '../runtime/types.js';
import type { Runtime } from '../runtime/runtime.js';

const paths: Record<Operation, string> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  count_tokens: '/v1/messages/count_tokens',
};

export function resolveRoute(rt: Runtime, model: string, key: ClientKey | undefined, operation: Operation): RouteRuntime {
  const route = rt.routes.get(model);
  if (!route || !mayUseRoute(key, model)) {
    throw new GatewayError(
      'model_not_found',
      `The model '${model.slice(0, 200)}' does not exist or you do not have access to it. GET /v1/models lists the models you can use.`,
      { param: 'model' },
    );
  }
  if (!route.operations.has(operation)) {
    throw new GatewayError('unsupported_operation', `The model '${model}' does not support ${paths[operation]}.`, { param: 'model' });
  }
  return route;
}
