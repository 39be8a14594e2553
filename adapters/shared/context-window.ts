/**
 * A deployment's context window, read from the provider's own context-length error. Providers state
 * it in prose, each its own way, so the gateway can learn a window nobody wrote in the config:
 *
 * - OpenAI, Azure, DeepSeek, vLLM (all versions): "This model's maximum context length is 8192 tokens. …"
 * - vLLM engine errors: "The prompt (total length 25938) is too long to fit into the model (context
 *   length 4096)", "The decoder prompt (length 5000) is longer than the maximum model length of 4096."
 * - SGLang: "The input (9000 tokens) is longer than the model's context length (8192 tokens)."
 * - TGI: "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: …", older
 *   "`inputs` must have less than 4096 tokens" (its max input length: what a prompt may use).
 * - llama.cpp: "the request exceeds the available context size…", with `n_ctx` beside the message.
 * - Anthropic: "prompt is too long: 210000 tokens > 200000 maximum".
 * - Ollama states no number ("input exceeds maximum context length"): nothing is learnt from it.
 *
 * Only the number stated as the limit is taken, never the request's own count ("However, you
 * requested 9000 tokens"), and only a plausible one: a wrong window would steer requests away.
 */

/** Smaller or larger figures are not windows any model has: a misread, ignored. */
const minWindow = 16;
const maxWindow = 100_000_000;

/** Each captures the window (group 1); thousands separators are allowed ("128,000"). */
const windowPatterns: readonly RegExp[] = [
  /maximum context length is ([\d,]+) tokens/i,
  /\(context length ([\d,]+)\)/i,
  /longer than the maximum model length of ([\d,]+)/i,
  /context length \(([\d,]+) tokens\)/i,
  /`inputs` tokens \+ `max_new_tokens` must be <= ([\d,]+)/i,
  /`inputs` must have less than ([\d,]+) tokens/i,
  /prompt is too long: [\d,]+ tokens > ([\d,]+) maximum/i,
  /context window of ([\d,]+) tokens/i,
];

function plausible(n: number): number | undefined {
  return Number.isInteger(n) && n >= minWindow && n <= maxWindow ? n : undefined;
}

/** The window a context-length message states, or undefined when it states none. */
export function contextWindowFromMessage(message: string | undefined): number | undefined {
  if (message === undefined) return undefined;
  for (const pattern of windowPatterns) {
    const match = pattern.exec(message);
    if (match) return plausible(Number(match[1]!.replaceAll(',', '')));
  }
  return undefined;
}

/** llama.cpp puts the window beside its message: `{"error": {…, "n_ctx": 4096, "n_prompt_tokens": 5000}}`. */
export function contextWindowFromField(value: unknown): number | undefined {
  return typeof value === 'number' ? plausible(value) : undefined;
}
