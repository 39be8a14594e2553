/** What the executor hands back: the answer of a request, and where a streamed answer goes. */
import type { Usage } from '../../adapters/types.js';
import type { GatewayError } from '../errors/catalogue.js';
import type { DeploymentRuntime } from '../runtime/types.js';

export interface Answer {
  deployment: DeploymentRuntime;
  attempts: number;
  usage: Usage | undefined;
}

export interface UnaryAnswer extends Answer {
  body: string;
}

/** Where a stream's output goes; routes/ implements it over the HTTP response. */
export interface StreamSink {
  /**
   * Commits the response (200 + SSE headers). Called once, before the first chunk. `failed` lists the
   * attempts that failed before this one (FailureLog.summary), empty when none did; `hedged` names the
   * deployment a hedge tried when one raced for this answer (gateway/execute/hedge.ts).
   */
  open(answer: { route: string; deployment: DeploymentRuntime; attempts: number; failed: string; hedged?: string | undefined }): void;
  /** Writes one chunk (JSON text); false when the client's buffer is full. */
  chunk(json: string): boolean;
  /** Resolves when the client can take more, or has gone. */
  drain(): Promise<void>;
  /** Writes `data: [DONE]` and ends. */
  done(): void;
  /** Writes an error event and ends: the answer is incomplete. */
  fail(error: GatewayError): void;
}

export type StreamOutcome =
  | ({ kind: 'done' } & Answer)
  | ({ kind: 'failed'; error: GatewayError } & Answer)
  | { kind: 'client_gone'; deployment: DeploymentRuntime | undefined; attempts: number; usage: Usage | undefined };
