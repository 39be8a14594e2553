/**
 * The request bodies of the benchmark: one conversation (a system line and a ~1 KB user prompt;
 * BENCH_PROMPT_REPEAT scales it), written for each API the gateway serves, so that every path
 * measures the same work.
 */
const prompt = 'Summarise the following notes about rail yards. '.repeat(Number(process.env.BENCH_PROMPT_REPEAT ?? 18));
const system = 'You are terse.';

/** The conversation as each API writes it, asking for 16 output tokens at temperature 0. */
export const bodies = {
  chat: (model: string, stream: boolean) =>
    JSON.stringify({
      model,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: prompt },
      ],
      max_tokens: 16,
      temperature: 0,
      stream,
    }),
  messages: (model: string, stream: boolean) =>
    JSON.stringify({ model, system, messages: [{ role: 'user', content: prompt }], max_tokens: 16, temperature: 0, stream }),
  responses: (model: string, stream: boolean) =>
    JSON.stringify({ model, instructions: system, input: prompt, max_output_tokens: 16, temperature: 0, store: false, stream }),
} as const;
