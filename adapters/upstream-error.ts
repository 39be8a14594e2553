/**
 * What went wrong upstream, reduced to the one thing the router decides on: the kind.
 * Adapters classify (status, body, headers) into a kind; transports classify socket failures.
 * Nothing outside `adapters/<p>/` looks at a provider's raw error again.
 */
export type UpstreamErrorKind =
  | 'rate_limited'
  | 'overloaded'
  | 'timeout'
  | 'connection'
  | 'server'
  | 'bad_request'
  | 'auth'
  | 'context_length'
  | 'content_filter'
  | 'not_found';

export const upstreamErrorKinds: readonly UpstreamErrorKind[] = [
  'rate_limited',
  'overloaded',
  'timeout',
  'connection',
  'server',
  'bad_request',
  'auth',
  'context_length',
  'content_filter',
  'not_found',
];

/** Kinds that are the deployment's fault: another candidate may well succeed. */
const failoverKinds: ReadonlySet<UpstreamErrorKind> = new Set<UpstreamErrorKind>([
  'rate_limited',
  'overloaded',
  'timeout',
  'connection',
  'server',
  'auth',
  'not_found',
]);

export function isFailoverKind(kind: UpstreamErrorKind): boolean {
  return failoverKinds.has(kind);
}

export interface UpstreamErrorInfo {
  kind: UpstreamErrorKind;
  /** Another attempt (same or other deployment) may succeed. */
  retryable: boolean;
  /** The upstream asked us to wait this long before trying it again (retry-after / retry-after-ms). */
  retryAfterMs?: number;
  /** The upstream's HTTP status, when there was a response. */
  status?: number;
  /** The upstream's own message, safe to show a client (adapters never copy credentials into it). */
  message: string;
  /** The upstream's error code, always as a string (self-hosted servers send integers). */
  code?: string | null;
  param?: string | null;
  /**
   * The deployment's context window in tokens, when a context-length error states it ("maximum
   * context length is 8192 tokens"): the gateway learns it and skips the deployment for longer prompts.
   */
  contextWindow?: number;
}

export class UpstreamError extends Error implements UpstreamErrorInfo {
  readonly kind: UpstreamErrorKind;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly code?: string | null;
  readonly param?: string | null;
  readonly contextWindow?: number;
  /** The deployment the failed attempt went to; set by the executor. */
  deploymentId?: string;

  constructor(info: UpstreamErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = 'UpstreamError';
    this.kind = info.kind;
    this.retryable = info.retryable;
    if (info.retryAfterMs !== undefined) this.retryAfterMs = info.retryAfterMs;
    if (info.status !== undefined) this.status = info.status;
    if (info.code !== undefined) this.code = info.code;
    if (info.param !== undefined) this.param = info.param;
    if (info.contextWindow !== undefined) this.contextWindow = info.contextWindow;
  }
}

/** Builds the info for a kind with the retryability the router expects of it. */
export function upstreamErrorOf(
  kind: UpstreamErrorKind,
  message: string,
  extra: Omit<UpstreamErrorInfo, 'kind' | 'retryable' | 'message'> = {},
): UpstreamErrorInfo {
  return { kind, retryable: isFailoverKind(kind), message, ...extra };
}
