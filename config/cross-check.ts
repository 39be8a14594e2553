/**
 * Phase two of loading: references between parts of a config that parsed cleanly. A route naming a
 * deployment that does not exist, a deployment naming an unknown provider, an unknown simulator, a
 * bad URL, duplicate keys: each is reported at the line of the offending value.
 */
import type { Config } from './schema.js';
import { adapterFor } from '../adapters/index.js';
import { didYouMean, type RawIssue } from './issues.js';
import type { Path } from './positions.js';

export interface CrossCheckResult {
  errors: RawIssue[];
  warnings: RawIssue[];
}

function validUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export function crossCheck(config: Config, shown: (path: Path) => string): CrossCheckResult {
  const errors: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const deployments = Object.keys(config.deployments);
  const providers = Object.keys(config.providers);
  const simulators = Object.keys(config.simulators);
  const usedSimulators = new Set<string>();

  for (const [id, p] of Object.entries(config.providers)) {
    const urls: Array<[string, Path]> = p.endpoints
      ? p.endpoints.map((u, i) => [u, ['providers', id, 'endpoints', i]])
      : [[p.base_url!, ['providers', id, 'base_url']]];
    for (const [url, path] of urls) {
      if (url.startsWith('sim://')) {
        const name = url.slice('sim://'.length);
        usedSimulators.add(name);
        if (!simulators.includes(name))
          errors.push({ path, message: `no simulator named '${name}'${didYouMean(name, simulators)}; declare it under simulators:` });
      } else if (!validUrl(url)) {
        errors.push({
          path,
          message: `${shown(path)} is not an http(s) URL (write the base URL including /v1, e.g. http://10.0.0.5:8000/v1)`,
        });
      }
    }
  }

  for (const [id, p] of Object.entries(config.providers)) {
    if (p.health_check && p.health_check.path === undefined && adapterFor(p.type).healthPath === undefined) {
      errors.push({
        path: ['providers', id, 'health_check'],
        message: `provider type '${p.type}' has no default health path: set health_check.path`,
      });
    }
  }

  for (const [id, d] of Object.entries(config.deployments)) {
    if (!providers.includes(d.provider)) {
      errors.push({
        path: ['deployments', id, 'provider'],
        message: `no provider named '${d.provider}'${didYouMean(d.provider, providers)}`,
      });
    }
  }

  for (const [name, r] of Object.entries(config.routes)) {
    const seen = new Set<string>();
    for (const [list, ids] of [
      ['targets', r.targets],
      ['fallbacks', r.fallbacks],
    ] as const) {
      ids.forEach((dep, i) => {
        const path: Path = ['routes', name, list, i];
        if (!deployments.includes(dep)) errors.push({ path, message: `no deployment named '${dep}'${didYouMean(dep, deployments)}` });
        else if (seen.has(dep)) errors.push({ path, message: `deployment '${dep}' is listed twice in this route` });
        seen.add(dep);
      });
    }
  }

  for (const [name, r] of Object.entries(config.routes)) {
    for (const dep of Object.keys(r.weights ?? {})) {
      if (!r.targets.includes(dep))
        errors.push({
          path: ['routes', name, 'weights', dep],
          message: `'${dep}' is not a target of this route; weights apply to targets`,
        });
    }
    if (r.weights && r.strategy !== 'weighted')
      warnings.push({
        path: ['routes', name, 'weights'],
        message: `weights are only used by strategy 'weighted' (this route uses '${r.strategy}')`,
      });
  }

  const keyNames = new Map<string, number>();
  const keyValues = new Map<string, number>();
  config.keys.forEach((k, i) => {
    const first = keyNames.get(k.name);
    if (first !== undefined) errors.push({ path: ['keys', i, 'name'], message: `key name '${k.name}' is already used by keys[${first}]` });
    else keyNames.set(k.name, i);
    const sameValue = keyValues.get(k.key);
    // Never print the key itself.
    if (sameValue !== undefined)
      errors.push({
        path: ['keys', i, 'key'],
        message: `this key has the same value as keys[${sameValue}]; every client key must be unique`,
      });
    else keyValues.set(k.key, i);
    k.routes?.forEach((route, j) => {
      if (!(route in config.routes))
        errors.push({
          path: ['keys', i, 'routes', j],
          message: `no route named '${route}'${didYouMean(route, Object.keys(config.routes))}`,
        });
    });
  });

  for (const name of simulators) {
    if (!usedSimulators.has(name))
      warnings.push({
        path: ['simulators', name],
        message: `simulator '${name}' is started but no provider uses it (reach it as sim://${name})`,
      });
  }
  return { errors, warnings };
}
