/**
 * cost: cheapest expected cost first, from the price per million input and output tokens and the
 * request's estimated tokens (the same formula as the cost metrics).
 */
import { costUsd } from '../../../telemetry/cost.js';
import { byScore, type Candidate, type RequestEstimate, type Strategy } from './types.js';

export function expectedCost(c: Candidate, request: RequestEstimate): number {
  return costUsd(c, request.inputTokens, request.outputTokens);
}

export const cost: Strategy = (candidates, request, random) => byScore(candidates, (c) => expectedCost(c, request), random);
