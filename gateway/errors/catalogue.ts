/**
 * The one error catalogue. Every error a client can see has a stable code here, with its HTTP status,
 * its OpenAI `type` and the level it is logged at. Only `routes/` turns a GatewayError into HTTP.
 */
import { type UpstreamError, type UpstreamErrorKind } from '../../adapters/upstream-error.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

interface CatalogueEntry {
  status: number;
  type: string;
  level: LogLevel;
}

export const errorCatalogue = {
  invalid_json: { status: 400, type: 'invalid_request_error', level: 'info' },
  invalid_request: { status: 400, type: 'invalid_request_error', level: 'info' },
  invalid_api_key: { status: 401, type: 'invalid_request_error', level: 'info' },
  /** A key without the permission (a pass-through entry it is not given). */
  permission_denied: { status: 403, type: 'invalid_request_error', level: 'info' },
  model_not_found: { status: 404, type: 'invalid_request_error', level: 'info' },
  unknown_url: { status: 404, type: 'invalid_request_error', level: 'info' },
  method_not_allowed: { status: 405, type: 'invalid_request_error', level: 'info' },
  request_too_large: { status: 413, type: 'invalid_request_error', level: 'info' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error', level: 'info' },
  unsupported_operation: { status: 400, type: 'invalid_request_error', level: 'info' },
  /** A front door's request that only a deployment speaking its wire can answer, on a route without one. */
  native_required: { status: 400, type: 'invalid_request_error', level: 'info' },
  /** An endpoint the route cannot answer honestly (count_tokens on a route without a deployment that counts). */
  not_implemented: { status: 501, type: 'invalid_request_error', level: 'info' },
  context_length_exceeded: { status: 400, type: 'invalid_request_error', level: 'info' },
  content_filter: { status: 400, type: 'invalid_request_error', level: 'info' },
  /** POST /admin/reload: the config file has errors (or cannot be built); the previous config serves on. */
  config_invalid: { status: 400, type: 'invalid_request_error', level: 'warn' },
  /** POST /admin/reload on a gateway started from a config in memory: there is no file to re-read. */
  no_config_file: { status: 409, type: 'invalid_request_error', level: 'info' },
  /** POST /admin/canaries/{route}/{action} that the canary's status does not allow (resume a running one). */
  canary_conflict: { status: 409, type: 'invalid_request_error', level: 'info' },
  rate_limit_exceeded: { status: 429, type: 'requests', level: 'warn' },
  insufficient_quota: { status: 429, type: 'insufficient_quota', level: 'warn' },
  upstream_error: { status: 502, type: 'api_error', level: 'error' },
  upstream_auth_error: { status: 502, type: 'api_error', level: 'error' },
  upstream_model_not_found: { status: 502, type: 'api_error', level: 'error' },
  server_overloaded: { status: 503, type: 'api_error', level: 'warn' },
  no_healthy_deployment: { status: 503, type: 'api_error', level: 'error' },
  shutting_down: { status: 503, type: 'api_error', level: 'info' },
  limits_unavailable: { status: 503, type: 'api_error', level: 'error' },
  timeout: { status: 504, type: 'api_error', level: 'warn' },
  internal_error: { status: 500, type: 'api_error', level: 'error' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface GatewayErrorOptions {
  param?: string | null;
  /** Extra response headers (Retry-After on 429s). */
  headers?: Record<string, string>;
  /** Overrides the catalogue's `code` field in the body (e.g. an upstream's own code on a 400). */
  bodyCode?: string | null;
  /** The deployment whose failure this is, for logs and headers. */
  deploymentId?: string;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly level: LogLevel;
  readonly param: string | null;
  readonly bodyCode: string | null;
  readonly headers?: Record<string, string>;
  readonly deploymentId?: string;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    const entry: CatalogueEntry = errorCatalogue[code];
    this.code = code;
    this.status = entry.status;
    this.type = entry.type;
    this.level = entry.level;
    this.param = options.param ?? null;
    this.bodyCode = options.bodyCode === undefined ? code : options.bodyCode;
    if (options.headers) this.headers = options.headers;
    if (options.deploymentId) this.deploymentId = options.deploymentId;
  }

  /** The OpenAI error envelope: all four keys, always. */
  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.bodyCode } };
  }
}

const codeOfKind: Record<UpstreamErrorKind, ErrorCode> = {
  rate_limited: 'rate_limit_exceeded',
  overloaded: 'server_overloaded',
  timeout: 'timeout',
  connection: 'upstream_error',
  server: 'upstream_error',
  bad_request: 'invalid_request',
  auth: 'upstream_auth_error',
  context_length: 'context_length_exceeded',
  content_filter: 'content_filter',
  not_found: 'upstream_model_not_found',
};

/**
 * Turns an upstream failure into what the client sees. Client-fault kinds keep the provider's reason
 * (the client must fix its request); deployment-fault kinds name the deployment, never a credential.
 */
export function gatewayErrorFromUpstream(
  err: UpstreamError,
  deploymentId: string,
  redact: (text: string) => string = (text) => text,
): GatewayError {
  const code = codeOfKind[err.kind];
  const where = `deployment '${deploymentId}'`;
  const message = redact(err.message);
  switch (err.kind) {
    case 'bad_request':
      return new GatewayError(code, message, {
        param: err.param ?? null,
        bodyCode: err.code ?? null,
        deploymentId,
        cause: err,
      });
    case 'context_length':
    case 'content_filter':
      return new GatewayError(code, message, {
        param: err.param ?? (err.kind === 'context_length' ? 'messages' : null),
        deploymentId,
        cause: err,
      });
    case 'auth':
      // The upstream's own text can quote part of our key ("Incorrect API key provided: sk-ab***yz"): never forward it.
      return new GatewayError(
        code,
        `The upstream provider rejected the gateway's credentials for ${where} (HTTP ${err.status ?? '?'}). An operator must check the provider's API key.`,
        { deploymentId, cause: err },
      );
    case 'rate_limited': {
      const headers: Record<string, string> = {};
      if (err.retryAfterMs !== undefined) {
        headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
        headers['retry-after-ms'] = String(Math.max(0, Math.round(err.retryAfterMs)));
      }
      return new GatewayError(code, `Rate limit reached upstream on ${where}: ${message}`, { headers, deploymentId, cause: err });
    }
    case 'overloaded':
      return new GatewayError(code, `Upstream ${where} is overloaded: ${message}`, { deploymentId, cause: err });
    case 'timeout':
      return new GatewayError(code, `Upstream ${where} timed out: ${message}`, { deploymentId, cause: err });
    case 'not_found':
      return new GatewayError(code, `Upstream ${where} does not serve its configured model: ${message}`, { deploymentId, cause: err });
    case 'connection':
    case 'server':
      return new GatewayError(code, `Upstream ${where} failed: ${message}`, { deploymentId, cause: err });
  }
}
