/**
 * A deployment is one pinned model (DESIGN §2): a floating alias (`gpt-4o`, an Ollama name without a
 * tag) is refused at its `model` value unless the deployment says `allow_floating: true`. Which ids
 * float is the provider type's own rule, declared with its adapter (adapters/shared/floating-models.ts);
 * a type without a rule accepts any name. Part of the cross-reference phase, since the rule depends on
 * the provider the deployment names.
 */
import { providerKindOf, providerTypes } from '../adapters/index.js';
import type { RawIssue } from './issues.js';

type Mapping = Record<string, unknown>;

/** The problems of one deployment's model pin, given its provider's entry (when that is a mapping). */
export function pinProblems(id: string, deployment: Mapping, provider: Mapping | undefined): RawIssue[] {
  const providerId = deployment.provider;
  const type = provider?.type;
  const model = deployment.model;
  if (typeof type !== 'string' || !(providerTypes as readonly string[]).includes(type) || typeof model !== 'string') return [];
  const floating = providerKindOf(type).floatingModel?.(model);
  if (floating === undefined) return [];
  if (deployment.allow_floating === true) {
    // Answers of a floating alias name the snapshot it stands for, so they are never compared with it.
    return deployment.on_drift === 'fail_over'
      ? [
          {
            path: ['deployments', id, 'on_drift'],
            message: `on_drift: fail_over needs a pinned model: answers of the floating alias '${model}' name whatever it points at, so they are not checked for drift (pin a dated id, or remove on_drift)`,
          },
        ]
      : [];
  }
  // The rule is the provider type's: a type from the environment that is not known here decides nothing.
  const dependsOn = typeof providerId === 'string' ? ['providers', providerId, 'type'] : undefined;
  return [
    {
      path: ['deployments', id, 'model'],
      message: `${floating}; or set allow_floating: true to accept that it moves`,
      ...(dependsOn ? { dependsOn } : {}),
    },
  ];
}
