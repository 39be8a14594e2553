/**
 * The shared Exchange (counting, leading faults, cuts) answering as Bedrock Runtime does: every
 * response carries `x-amzn-RequestId`; an error is JSON `{message}` with its exception name in the
 * `x-amzn-ErrorType` header (restJson1), the name following from the status unless a fault's `code`
 * names one (ModelNotReadyException is a 429 too). Bedrock sends no Retry-After; one a fault asks for
 * is sent anyway, as a proxy in front would.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { SimContext } from '../../context.js';
import { Exchange } from '../../exchange.js';
import type { ErrorDetails } from '../../flavor.js';

/** Each status's exception, with the message Bedrock gives it when there is nothing more to say. */
export const exceptions: Readonly<Record<number, { name: string; message: string }>> = {
  400: { name: 'ValidationException', message: 'Malformed input request, please reformat your input and try again.' },
  403: { name: 'AccessDeniedException', message: "You don't have access to the model with the specified model ID." },
  404: { name: 'ResourceNotFoundException', message: 'Could not resolve the foundation model from the provided model identifier.' },
  408: { name: 'ModelTimeoutException', message: 'Model has timed out in processing the request. Try your request again.' },
  424: { name: 'ModelErrorException', message: 'The model returned an error. Try your request again.' },
  429: { name: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
  500: { name: 'InternalServerException', message: 'The server encountered an internal error while processing the request.' },
  503: { name: 'ServiceUnavailableException', message: 'The service is unavailable. Try again later.' },
};

export class BedrockExchange extends Exchange {
  private readonly requestId = randomUUID();

  constructor(sim: SimContext, res: ServerResponse, tracked = true) {
    super(sim, res, tracked);
  }

  protected override baseHeaders(): OutgoingHttpHeaders {
    return { 'x-amzn-requestid': this.requestId };
  }

  /** `details.code` (a fault's) names the exception; otherwise the status's own. */
  override error(status: number, details?: ErrorDetails, headers?: OutgoingHttpHeaders): void {
    const known = exceptions[status] ?? {
      name: status >= 500 ? 'InternalServerException' : 'ValidationException',
      message: `HTTP ${status}`,
    };
    const name = details?.code ?? details?.type ?? known.name;
    this.json(
      status,
      { message: details?.message ?? known.message },
      { ...headers, 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
    );
  }
}
