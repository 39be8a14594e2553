/**
 * Phase two of loading: references between the parts of a config. A route naming a deployment that
 * does not exist, a deployment naming an unknown provider, an unknown simulator, a bad URL, duplicate
 * keys: each is reported at the line of the offending value.
 *
 * It reads the data as written (after `${VAR}`), not the schema's output, so that it runs in the same
 * pass as the schema even when other parts of the file are wrong: a name exists as soon as its key
 * does, whatever is wrong inside the entry, and a section that is not a mapping at all is skipped
 * (the schema says why) rather than turned into a flood of "no such name".
 */
import { adapterFor, providerKindOf, providerTypes } from '../adapters/index.js';
import { didYouMean, type RawIssue } from './issues.js';
import { pinProblems } from './pinned-models.js';
import { passthroughProblems } from './passthrough-schema.js';
import type { Path } from './positions.js';

export interface CrossCheckResult {
  errors: RawIssue[];
  warnings: RawIssue[];
}

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The string items of a list, with their indexes (other items are the schema's business). */
function stringsOf(list: unknown): Array<[string, number]> {
  return Array.isArray(list) ? list.flatMap((v: unknown, i) => (typeof v === 'string' ? [[v, i] as [string, number]] : [])) : [];
}

/** The entries of a section that are mappings (the names of the others still count as names). */
function entriesOf(section: Mapping | undefined): Array<[string, Mapping]> {
  return section ? Object.entries(section).filter((e): e is [string, Mapping] => isMapping(e[1])) : [];
}

function validUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** A name list to check references against, or undefined when the section is not a mapping. */
function namesOf(section: unknown, optional: boolean): string[] | undefined {
  if (section === undefined && optional) return [];
  return isMapping(section) ? Object.keys(section) : undefined;
}

/**
 * Why a deployment on this provider cannot declare `prefill`, or undefined when it can: its provider
 * must say how its server continues an assistant answer (or its type must have a default style).
 */
function prefillProblem(providerId: string, provider: Mapping): string | undefined {
  const type = provider.type;
  if (typeof type !== 'string' || !(providerTypes as readonly string[]).includes(type)) return undefined;
  const support = providerKindOf(type).prefill;
  if (!support) return `provider '${providerId}' (type ${type}) cannot continue an assistant answer: remove prefill from capabilities`;
  if (provider[support.key] !== undefined || support.defaultStyle !== undefined) return undefined;
  const styles = Object.entries(support.styles)
    .map(([style, servers]) => `${style} (${servers})`)
    .join(', ');
  return (
    `capability prefill needs to know how provider '${providerId}' continues an assistant answer, and type ${type} has no default: ` +
    `set providers.${providerId}.${support.key} to one of ${styles}, or remove prefill from capabilities`
  );
}

export function crossCheck(data: Mapping, shown: (path: Path) => string): CrossCheckResult {
  const errors: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const providersSection = isMapping(data.providers) ? data.providers : undefined;
  const providers = namesOf(data.providers, false);
  const deployments = namesOf(data.deployments, false);
  const routes = namesOf(data.routes, false);
  const simulators = namesOf(data.simulators, true);
  const usedSimulators = new Set<string>();

  for (const [id, p] of entriesOf(providersSection)) {
    const urls: Array<[string, Path]> = [
      ...(typeof p.base_url === 'string' ? [[p.base_url, ['providers', id, 'base_url']] as [string, Path]] : []),
      ...stringsOf(p.endpoints).map(([u, i]): [string, Path] => [u, ['providers', id, 'endpoints', i]]),
    ];
    for (const [url, path] of urls) {
      if (url.startsWith('sim://')) {
        const name = url.slice('sim://'.length);
        usedSimulators.add(name);
        if (simulators && !simulators.includes(name))
          errors.push({ path, message: `no simulator named '${name}'${didYouMean(name, simulators)}; declare it under simulators:` });
      } else if (!validUrl(url)) {
        errors.push({
          path,
          message: `${shown(path)} is not an http(s) URL (write the base URL including /v1, e.g. http://10.0.0.5:8000/v1)`,
        });
      }
    }
    const known = typeof p.type === 'string' && (providerTypes as readonly string[]).includes(p.type);
    if (known && isMapping(p.health_check) && p.health_check.path === undefined && adapterFor(p.type as string).healthPath === undefined) {
      errors.push({
        path: ['providers', id, 'health_check'],
        message: `provider type '${p.type as string}' has no default health path: set health_check.path`,
      });
    }
  }

  for (const [id, d] of entriesOf(isMapping(data.deployments) ? data.deployments : undefined)) {
    if (providers && typeof d.provider === 'string' && !providers.includes(d.provider)) {
      errors.push({
        path: ['deployments', id, 'provider'],
        message: `no provider named '${d.provider}'${didYouMean(d.provider, providers)}`,
      });
    }
    const provider = typeof d.provider === 'string' && providersSection ? providersSection[d.provider] : undefined;
    errors.push(...pinProblems(id, d, isMapping(provider) ? provider : undefined));
    const prefillAt = stringsOf(d.capabilities).find(([c]) => c === 'prefill')?.[1];
    if (prefillAt !== undefined && isMapping(provider) && typeof d.provider === 'string') {
      const problem = prefillProblem(d.provider, provider);
      if (problem) errors.push({ path: ['deployments', id, 'capabilities', prefillAt], message: problem });
    }
  }

  for (const [name, r] of entriesOf(isMapping(data.routes) ? data.routes : undefined)) {
    const seen = new Set<string>();
    for (const list of ['targets', 'fallbacks'] as const) {
      for (const [dep, i] of stringsOf(r[list])) {
        const path: Path = ['routes', name, list, i];
        if (deployments && !deployments.includes(dep))
          errors.push({ path, message: `no deployment named '${dep}'${didYouMean(dep, deployments)}` });
        else if (seen.has(dep)) errors.push({ path, message: `deployment '${dep}' is listed twice in this route` });
        seen.add(dep);
      }
    }
    const canary = isMapping(r.canary) ? r.canary : undefined;
    for (const [dep, i] of stringsOf(canary?.targets)) {
      const path: Path = ['routes', name, 'canary', 'targets', i];
      if (deployments && !deployments.includes(dep))
        errors.push({ path, message: `no deployment named '${dep}'${didYouMean(dep, deployments)}` });
      else if (stringsOf(r.targets).some(([t]) => t === dep))
        errors.push({ path, message: `deployment '${dep}' is already a stable target of this route; a canary is a different deployment` });
    }
    const shadow = isMapping(r.shadow) ? r.shadow : undefined;
    if (typeof shadow?.target === 'string' && deployments && !deployments.includes(shadow.target))
      errors.push({
        path: ['routes', name, 'shadow', 'target'],
        message: `no deployment named '${shadow.target}'${didYouMean(shadow.target, deployments)}`,
      });
    if (!isMapping(r.weights)) continue;
    const targets = stringsOf(r.targets).map(([t]) => t);
    for (const dep of Object.keys(r.weights)) {
      if (Array.isArray(r.targets) && !targets.includes(dep))
        errors.push({
          path: ['routes', name, 'weights', dep],
          message: `'${dep}' is not a target of this route; weights apply to targets`,
        });
    }
    const strategy = r.strategy ?? 'priority';
    if (typeof strategy === 'string' && strategy !== 'weighted')
      warnings.push({
        path: ['routes', name, 'weights'],
        message: `weights are only used by strategy 'weighted' (this route uses '${strategy}')`,
      });
  }

  const keyNames = new Map<string, number>();
  const keyValues = new Map<string, number>();
  (Array.isArray(data.keys) ? (data.keys as unknown[]) : []).forEach((k, i) => {
    if (!isMapping(k)) return;
    if (typeof k.name === 'string') {
      const first = keyNames.get(k.name);
      if (first !== undefined)
        errors.push({ path: ['keys', i, 'name'], message: `key name '${k.name}' is already used by keys[${first}]` });
      else keyNames.set(k.name, i);
    }
    if (typeof k.key === 'string') {
      const sameValue = keyValues.get(k.key);
      // Never print the key itself.
      if (sameValue !== undefined)
        errors.push({
          path: ['keys', i, 'key'],
          message: `this key has the same value as keys[${sameValue}]; every client key must be unique`,
        });
      else keyValues.set(k.key, i);
    }
    for (const [route, j] of stringsOf(k.routes)) {
      if (routes && !routes.includes(route))
        errors.push({ path: ['keys', i, 'routes', j], message: `no route named '${route}'${didYouMean(route, routes)}` });
    }
  });

  errors.push(...passthroughProblems(data, providersSection));

  // Which simulators are used is only known when every provider could be read.
  if (providersSection && entriesOf(providersSection).length === Object.keys(providersSection).length) {
    for (const name of simulators ?? []) {
      if (!usedSimulators.has(name))
        warnings.push({
          path: ['simulators', name],
          message: `simulator '${name}' is started but no provider uses it (reach it as sim://${name})`,
        });
    }
  }
  return { errors, warnings };
}
