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
  /** The body is the upstream's own, in the client's wire format (a front door's native answer); else OpenAI JSON. */
  native: boolean;
}

/** What a stream's sink learns when the answer is committed. */
export interface StreamOpening {
  route: string;
  deployment: DeploymentRuntime;
  attempts: number;
  failed: string;
  hedged?: string | undefined;
  native: boolean;
}

/** Where a stream's output goes; routes/ implements it over the HTTP response. */
export interface StreamSink {
  /**
   * Commits the response (200 + SSE headers). Called once, before the first chunk. `failed` lists the
   * attempts that failed before this one (FailureLog.summary), empty when none did; `hedged` names the
   * deployment a hedge tried when one raced for this answer (gateway/execute/hedge.ts). `native`: the
   * chunks that follow are the upstream's own events in the client's wire format (a front door's
   * native answer, each with its SSE event name), not OpenAI chunks.
   */
  open(answer: StreamOpening): void;
  /** Writes one chunk (JSON text; `event`: its SSE event name on a native answer); false when the client's buffer is full. */
  chunk(json: string, event?: string): boolean;
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
