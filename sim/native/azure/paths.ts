/**
 * Azure OpenAI's addresses: deployment URLs (`/openai/deployments/<name>/chat/completions`, with the
 * deployment in the path and a required `?api-version=`), the v1 API (`/openai/v1/chat/completions`,
 * the deployment as the body's `model`, no api-version), and the resource's model list
 * (`/openai/models?api-version=`, `/openai/v1/models`), which a gateway's health probe reads; and the
 * Responses API (`/openai/v1/responses`, or `/openai/responses?api-version=` from 2025-03-01-preview),
 * where the deployment is always the body's `model`.
 */
import type { SimOperation } from '../../types.js';

export type AzureOperation = 'chat' | 'completions' | 'embeddings' | 'models' | 'responses';

export interface AzureAddress {
  /** `deployments`: the dated API (api-version required); `v1`: the v1 API. */
  readonly api: 'deployments' | 'v1';
  readonly operation: AzureOperation;
  /** The deployment named in the path (deployment URLs only; the v1 API names it in the body). */
  readonly deployment?: string;
}

const operationSuffixes: ReadonlyArray<[string, AzureOperation]> = [
  ['/chat/completions', 'chat'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
];

function operationFor(rest: string): AzureOperation | undefined {
  for (const [suffix, operation] of operationSuffixes) if (rest === suffix) return operation;
  return undefined;
}

/** The address a request names, or undefined for a path Azure does not serve (its 404). */
export function azureAddressOf(method: string, path: string): AzureAddress | undefined {
  if (method === 'GET') {
    if (path === '/openai/models') return { api: 'deployments', operation: 'models' };
    if (path === '/openai/v1/models') return { api: 'v1', operation: 'models' };
    return undefined;
  }
  if (method !== 'POST') return undefined;
  // The Responses API: the v1 path, or the resource-level path with an api-version (no deployment in it).
  if (path === '/openai/v1/responses') return { api: 'v1', operation: 'responses' };
  if (path === '/openai/responses') return { api: 'deployments', operation: 'responses' };
  if (path.startsWith('/openai/v1/')) {
    const operation = operationFor(path.slice('/openai/v1'.length));
    return operation === undefined ? undefined : { api: 'v1', operation };
  }
  const prefix = '/openai/deployments/';
  if (!path.startsWith(prefix)) return undefined;
  const slash = path.indexOf('/', prefix.length);
  if (slash < 0) return undefined;
  const operation = operationFor(path.slice(slash));
  if (operation === undefined) return undefined;
  let deployment = path.slice(prefix.length, slash);
  try {
    deployment = decodeURIComponent(deployment);
  } catch {
    // Malformed %-escapes: matched as written, which names no deployment.
  }
  return { api: 'deployments', operation, deployment };
}

export function azureOperationOf(method: string, path: string): SimOperation {
  const operation = azureAddressOf(method, path)?.operation ?? 'other';
  // A Responses request is a chat answer for stats and faults.
  return operation === 'responses' ? 'chat' : operation;
}

/** The first dated api-version that serves the Responses API (older ones answer 400). */
export const firstResponsesApiVersion = '2025-03-01-preview';

/** `api-version` from the raw request URL (the server hands routes the path without its query). */
export function apiVersionOf(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  if (url === undefined || q < 0) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get('api-version') ?? undefined;
}

/** Dated versions (`2024-10-21`, `2025-04-01-preview`); anything else is refused as Azure refuses it. */
export const knownApiVersion = /^\d{4}-\d{2}-\d{2}(?:-preview)?$/;
