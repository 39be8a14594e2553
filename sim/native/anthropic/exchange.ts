/**
 * The shared Exchange (counting, leading faults, cuts) answering as Anthropic does: every response
 * carries a `request-id` header (the SDK exposes it as `_request_id`), errors are Anthropic's error
 * body with the same id, and a 429 carries the `anthropic-ratelimit-requests-*` headers of a used-up
 * request limit (reset as an RFC 3339 time) beside any `retry-after` the fault asked for.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SimContext } from '../../context.js';
import { Exchange } from '../../exchange.js';
import type { ErrorDetails } from '../../flavor.js';
import { errorBody } from './responses.js';

/** Requests per minute the simulated organisation has, for the rate-limit headers. */
const requestsPerMinute = 50;

export class AnthropicExchange extends Exchange {
  protected readonly requestId: string;

  constructor(sim: SimContext, res: ServerResponse, tracked = true) {
    super(sim, res, tracked);
    this.requestId = sim.nextId('req_');
  }

  protected override baseHeaders(): OutgoingHttpHeaders {
    return { 'request-id': this.requestId };
  }

  /** `details.type` (or a fault's `code`) names the error type; otherwise the status's own. */
  override error(status: number, details?: ErrorDetails, headers?: OutgoingHttpHeaders): void {
    const extra: OutgoingHttpHeaders = { ...headers };
    if (status === 429) {
      const reset = new Date(Date.now() + (Number(extra['retry-after'] ?? 1) || 1) * 1000);
      extra['anthropic-ratelimit-requests-limit'] = String(requestsPerMinute);
      extra['anthropic-ratelimit-requests-remaining'] = '0';
      extra['anthropic-ratelimit-requests-reset'] = reset.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    this.json(status, errorBody(status, this.requestId, details?.message, details?.type ?? details?.code), extra);
  }
}
