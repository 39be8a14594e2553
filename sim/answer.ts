/**
 * The simulated model's answer, decided in full before anything is sent: per choice, the pieces that
 * go out one per chunk (one "token" each), the finish reason, and the tool call if there is one. The
 * words come from a small vocabulary, drawn by a PRNG seeded from the prompt's hash and the choice's
 * index, so the same request gets the same text whether it is streamed or not.
 */
import { createRandom, hashNumber, randomId, type Random } from './random.js';
import type { CompletionRequest } from './request.js';
import { argumentsFor, splitArguments, type ToolCallPlan } from './tools.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface ChoicePlan {
  index: number;
  /** Text pieces, one per chunk; for a tool call, '' (the opening delta) then argument fragments. */
  pieces: string[];
  finish: FinishReason;
  /** The stop string that ended the text (vLLM reports it as `stop_reason`). */
  stopMatched: string | null;
  toolCall: ToolCallPlan | undefined;
}

const VOCABULARY = [
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  'consectetur',
  'adipiscing',
  'elit',
  'sed',
  'do',
  'eiusmod',
  'tempor',
  'incididunt',
  'ut',
  'labore',
  'et',
  'dolore',
  'magna',
  'aliqua',
  'enim',
  'ad',
  'minim',
  'veniam',
  'quis',
  'nostrud',
  'exercitation',
  'ullamco',
  'laboris',
  'nisi',
  'aliquip',
  'ex',
  'ea',
  'commodo',
  'consequat',
  'duis',
  'aute',
  'irure',
  'in',
  'reprehenderit',
  'voluptate',
  'velit',
  'esse',
  'cillum',
  'fugiat',
  'nulla',
  'pariatur',
  'excepteur',
  'sint',
  'occaecat',
  'cupidatat',
  'non',
  'proident',
  'sunt',
  'culpa',
  'qui',
  'officia',
  'deserunt',
  'mollit',
  'anim',
  'id',
  'est',
  'laborum',
];

const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** The earliest stop string that now appears in `text`, looking only where the last piece could have completed one. */
function findStop(text: string, pieceLength: number, stops: readonly string[]): { at: number; stop: string } | undefined {
  let found: { at: number; stop: string } | undefined;
  for (const stop of stops) {
    const at = text.indexOf(stop, Math.max(0, text.length - pieceLength - stop.length + 1));
    if (at >= 0 && (found === undefined || at < found.at)) found = { at, stop };
  }
  return found;
}

function textChoice(index: number, random: Random, natural: number, limit: number, stops: readonly string[]): ChoicePlan {
  const count = Math.min(natural, limit);
  const pieces: string[] = [];
  let text = '';
  let sentenceStart = true;
  for (let i = 0; i < count; i++) {
    const word = VOCABULARY[Math.floor(random() * VOCABULARY.length)]!;
    let piece = sentenceStart ? capitalize(word) : word;
    if (i > 0) piece = ` ${piece}`;
    // Sentences of a few words make the text readable in demos; the last natural token ends one.
    sentenceStart = i === natural - 1 || random() < 0.12;
    if (sentenceStart) piece += '.';
    if (stops.length > 0) {
      text += piece;
      const hit = findStop(text, piece.length, stops);
      if (hit) {
        const kept = hit.at - (text.length - piece.length);
        if (kept > 0) pieces.push(piece.slice(0, kept));
        return { index, pieces, finish: 'stop', stopMatched: hit.stop, toolCall: undefined };
      }
    }
    pieces.push(piece);
  }
  return { index, pieces, finish: count < natural ? 'length' : 'stop', stopMatched: null, toolCall: undefined };
}

/**
 * Every choice of the answer. `ids` makes tool-call ids unique per call; it is not the answer's
 * generator, so ids never change the text.
 */
export function planAnswer(request: CompletionRequest, outputTokens: number, ids: Random): ChoicePlan[] {
  const choices: ChoicePlan[] = [];
  for (let index = 0; index < request.n; index++) {
    if (request.tool) {
      const args = argumentsFor(request.tool.parameters);
      const toolCall = { id: `call_${randomId(ids, 12)}`, name: request.tool.name, arguments: args };
      choices.push({ index, pieces: ['', ...splitArguments(args)], finish: 'tool_calls', stopMatched: null, toolCall });
      continue;
    }
    const random = createRandom(hashNumber(index, request.promptHash));
    if (request.prefill !== undefined && index === 0) {
      choices.push(
        continuation(textChoice(index, random, outputTokens, Infinity, request.stop), request.prefill, request.maxTokens ?? Infinity),
      );
      continue;
    }
    choices.push(textChoice(index, random, outputTokens, request.maxTokens ?? Infinity, request.stop));
  }
  return choices;
}

/** The rest of `full` after `prefill` (when the answer does start with it), capped at `limit` new pieces. */
function continuation(full: ChoicePlan, prefill: string, limit: number): ChoicePlan {
  const text = full.pieces.join('');
  if (!text.startsWith(prefill)) return full;
  const pieces: string[] = [];
  let consumed = 0;
  for (const piece of full.pieces) {
    const end = consumed + piece.length;
    if (end > prefill.length) pieces.push(consumed >= prefill.length ? piece : piece.slice(prefill.length - consumed));
    consumed = end;
  }
  if (pieces.length > limit) return { ...full, pieces: pieces.slice(0, limit), finish: 'length', stopMatched: null };
  return { ...full, pieces };
}

/** Completion tokens of the whole answer: one per piece. */
export function completionTokens(choices: readonly ChoicePlan[]): number {
  let total = 0;
  for (const choice of choices) total += choice.pieces.length;
  return total;
}

/** The most pieces any choice has: the number of generation steps. */
export function stepCount(choices: readonly ChoicePlan[]): number {
  let steps = 0;
  for (const choice of choices) if (choice.pieces.length > steps) steps = choice.pieces.length;
  return steps;
}
