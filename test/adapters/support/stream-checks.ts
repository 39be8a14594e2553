/**
 * What every translated stream must satisfy, whatever the upstream sent (the stream rules every provider's format shares):
 * nothing after the end, one role-bearing first delta and at most one finish_reason per choice, a usage
 * chunk only for a client that asked and then last before `[DONE]`, one id/created for the stream.
 * Also runs the chunks through openai-node's own ChatCompletionStream accumulator, which throws on a
 * missing role, finish_reason or tool-call type/name/arguments.
 */
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { ClientRequest, StreamOutput } from '../../../adapters/types.js';
import { chatChunkProblems, completionProblems, type SchemaValidator } from './openai-shapes.js';

type Json = Record<string, unknown>;

export function streamProblems(outputs: readonly StreamOutput[], req: ClientRequest, validate?: SchemaValidator): string[] {
  const problems: string[] = [];
  const terminal = outputs.findIndex((o) => o.type !== 'chunk');
  if (terminal !== -1 && terminal !== outputs.length - 1) problems.push(`output after ${outputs[terminal]!.type}`);
  const done = outputs.at(-1)?.type === 'done';
  const chunks = outputs.flatMap((o) => (o.type === 'chunk' ? [JSON.parse(o.data) as Json] : []));
  const chat = req.operation === 'chat';
  const roleSeen = new Set<number>();
  const finishes = new Map<number, number>();
  const usageChunks: number[] = [];
  chunks.forEach((chunk, n) => {
    const shape = chat ? chatChunkProblems(chunk) : completionProblems(chunk, true);
    problems.push(...shape.map((s) => `chunk ${n}: ${s}`));
    if (validate && chat) problems.push(...validate('CreateChatCompletionStreamResponse', chunk).map((s) => `chunk ${n} (spec): ${s}`));
    if (chunk['id'] !== chunks[0]!['id'] || chunk['created'] !== chunks[0]!['created'])
      problems.push(`chunk ${n}: id/created differ from the first chunk`);
    const choices = chunk['choices'] as Json[];
    if (choices.length === 0) {
      usageChunks.push(n);
      return;
    }
    if (chunk['usage'] !== undefined && chunk['usage'] !== null) problems.push(`chunk ${n}: usage on a content chunk`);
    for (const choice of choices) {
      const index = choice['index'] as number;
      if (chat && !roleSeen.has(index)) {
        roleSeen.add(index);
        if ((choice['delta'] as Json)['role'] !== 'assistant') problems.push(`chunk ${n}: first delta of choice ${index} has no role`);
      }
      if (choice['finish_reason'] !== null) finishes.set(index, (finishes.get(index) ?? 0) + 1);
      else if (!finishes.has(index)) finishes.set(index, 0);
    }
  });
  for (const [index, count] of finishes) {
    if (count > 1) problems.push(`choice ${index} has ${count} finish reasons`);
    if (done && count !== 1) problems.push(`choice ${index} finished without a finish_reason`);
  }
  if (usageChunks.length > 1) problems.push('more than one usage chunk');
  if (usageChunks.length > 0 && !req.includeUsage) problems.push('usage chunk sent to a client that did not ask');
  if (usageChunks.length === 1 && usageChunks[0] !== chunks.length - 1) problems.push('usage chunk is not the last chunk');
  return problems;
}

/** openai-node's accumulator over the translated chunks (NDJSON, as Stream.fromReadableStream reads). */
export async function accumulateWithSdk(outputs: readonly StreamOutput[]): Promise<ChatCompletion> {
  const lines = outputs.flatMap((o) => (o.type === 'chunk' ? [o.data] : []));
  const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  return ChatCompletionStream.fromReadableStream(body).finalChatCompletion();
}
