/**
 * A simulated server whose wire format is not OpenAI's (Anthropic's Messages API, Gemini's
 * generateContent, Azure OpenAI's deployment URLs): how it routes a request, what operation a path is
 * (for stats and fault matching), and where its API is rooted. Its answers come from the same
 * generation, scheduler, faults and stats as the OpenAI kinds (sim/answer.ts, sim/faults.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from '../context.js';
import type { SimOperation } from '../types.js';

export interface NativeWire {
  /**
   * Serves one request; false when the path is none of this wire's (then the common paths apply:
   * /health, and 404). `body` is the parsed JSON (null when there was none); `invalidJson` when it did not parse.
   */
  route(
    sim: SimContext,
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    body: unknown,
    invalidJson: boolean,
  ): boolean;
  /** Which operation a request is (counted in stats; faults match on it). */
  operationOf(method: string, path: string): SimOperation;
  /** What a client's base URL is, after the origin: '' for Anthropic and Gemini (their paths carry the version), '/v1' otherwise. */
  readonly basePath: string;
}
