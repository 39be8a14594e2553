/**
 * Context windows, declared and learnt, and the two decisions made from them: which deployments may
 * still help after one answered `context_length`, and which to skip without a call because the prompt
 * surely does not fit.
 *
 * A deployment's known window is the one its upstream last stated in a context-length error (kept on
 * its health, so it survives config reloads that keep the deployment's identity), else the config's
 * `context_window`. The learnt one wins: it is what the server runs now (a vLLM started with a smaller
 * `--max-model-len` than the model's nominal window, a llama.cpp `-c`), where the config says what
 * someone believed.
 *
 * Skipping must never refuse a request that would fit, and the only token count at hand is a guess.
 * So it counts the prompt's text alone (images, audio, files and tool schemas count nothing: too
 * uncertain) and assumes six characters a token, half as many tokens again as the usual four a token
 * of English: a prompt is skipped only when it would need more than six characters a token to fit,
 * which no tokenizer averages on real text. Requests that merely might not fit are sent, and a
 * context-length answer then moves them on.
 */
import type { ClientRequest } from '../../adapters/types.js';
import { UpstreamError, upstreamErrorOf } from '../../adapters/upstream-error.js';
import type { DeploymentRuntime } from '../runtime/types.js';

/** Characters a token is assumed to hold at most, on average over a whole prompt (see above). */
const maxCharsPerToken = 6;

/** The deployment's window in tokens: learnt from the upstream, else declared; undefined when unknown. */
export function knownContextWindow(d: DeploymentRuntime): number | undefined {
  return d.health.learnedContextWindow ?? d.contextWindow;
}

/** Characters of text in message content (a string, or parts of which the text ones count). */
function textChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const part of content) {
    if (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string') {
      chars += (part as { text: string }).text.length;
    }
  }
  return chars;
}

/** A legacy completion's prompt: strings count by characters, token ids are tokens (six characters each). */
function promptChars(prompt: unknown): number {
  if (typeof prompt === 'string') return prompt.length;
  if (!Array.isArray(prompt)) return 0;
  let chars = 0;
  for (const part of prompt) {
    if (typeof part === 'string') chars += part.length;
    else if (typeof part === 'number') chars += maxCharsPerToken;
    else if (Array.isArray(part)) chars += part.length * maxCharsPerToken;
  }
  return chars;
}

/**
 * Tokens the request's prompt has at least, by the rule above; 0 for embeddings (each input is its
 * own sequence, and an embedding model truncates or refuses per input).
 */
export function promptTokensAtLeast(req: ClientRequest): number {
  let chars = 0;
  if (req.operation === 'chat') {
    const messages = req.body['messages'];
    if (Array.isArray(messages)) {
      for (const m of messages) if (typeof m === 'object' && m !== null) chars += textChars((m as { content?: unknown }).content);
    }
  } else if (req.operation === 'completions') {
    chars = promptChars(req.body['prompt']);
  }
  return Math.floor(chars / maxCharsPerToken);
}

/** Whether any of these deployments has a known window (else there is nothing to compare against). */
export function anyKnownWindow(deployments: readonly DeploymentRuntime[]): boolean {
  return deployments.some((d) => knownContextWindow(d) !== undefined);
}

/** The failure recorded for a deployment skipped without a call: its known window is surely too small. */
export function skippedForContext(d: DeploymentRuntime, promptTokens: number): UpstreamError | undefined {
  const window = knownContextWindow(d);
  if (window === undefined || promptTokens <= window) return undefined;
  const source = d.health.learnedContextWindow !== undefined ? 'as the upstream stated' : 'as configured';
  return new UpstreamError(
    upstreamErrorOf(
      'context_length',
      `This model's maximum context length is ${window} tokens (${source}); the prompt has at least ${promptTokens}, so the gateway did not send it to deployment '${d.id}'.`,
      { status: 400, code: 'context_length_exceeded', param: 'messages' },
    ),
  );
}

/**
 * After `failed` answered `context_length`: whether `candidate` may still take the prompt. Never the
 * same deployment again; a larger known window always may; an unknown window may if it serves another
 * model (the same model is taken to have the same window); when the failed window itself is unknown,
 * a known window can only be trusted on another model.
 */
export function mayFitAfterContextLength(failed: DeploymentRuntime, candidate: DeploymentRuntime): boolean {
  if (candidate === failed) return false;
  const otherModel = candidate.target.model !== failed.target.model;
  const failedWindow = knownContextWindow(failed);
  const window = knownContextWindow(candidate);
  if (window === undefined || failedWindow === undefined) return otherModel;
  return window > failedWindow;
}
