/**
 * Repairs for one streamed chunk's choices, with the per-choice memory they need. What servers get
 * wrong, and what the SDKs then trip over: the first delta of a choice without `role` (openai-node's
 * `.stream()` throws "missing role for choice N"), tool-call deltas without `type` or `arguments`
 * ("missing choices[N].tool_calls[i].type"), nulls where the spec has none (SGLang sends
 * `role: null, tool_calls: null` in every delta), `reasoning` for `reasoning_content`, and finish
 * reasons outside OpenAI's set (`abort` is a failure; anything else unknown reads as `stop`).
 */
import { isRecord, type JsonObject } from '../shared/json.js';
import {
  abortReason,
  chatFinishReasons,
  completeToolCall,
  completionFinishReasons,
  dropNulls,
  mapFinishReason,
  renameReasoning,
} from './normalize.js';

export interface ChoiceState {
  finished: boolean;
  /** Tool-call indexes already opened in this choice. */
  readonly toolCalls: Set<number>;
  /** Content emitted so far, and in how many chunks (for continuing the answer elsewhere). */
  text: string;
  contentChunks: number;
}

/** Whether the choice was left as sent, repaired, or reports an aborted generation. */
export type ChoiceVerdict = 'unchanged' | 'changed' | 'aborted';

const isInteger = (v: unknown): v is number => Number.isInteger(v);

function stateOf(
  states: Map<number, ChoiceState>,
  choice: JsonObject,
  position: number,
): { state: ChoiceState; first: boolean; changed: boolean } {
  let changed = false;
  if (!isInteger(choice['index'])) {
    choice['index'] = position;
    changed = true;
  }
  const index = choice['index'] as number;
  const known = states.get(index);
  if (known) return { state: known, first: false, changed };
  const state: ChoiceState = { finished: false, toolCalls: new Set(), text: '', contentChunks: 0 };
  states.set(index, state);
  return { state, first: true, changed };
}

/** The finish reason mapped; a second one for the same choice is dropped (one per choice, ever). */
function repairFinish(choice: JsonObject, state: ChoiceState, allowed: ReadonlySet<string>): ChoiceVerdict {
  const sent = choice['finish_reason'];
  let reason = mapFinishReason(sent, allowed);
  if (reason === abortReason) return 'aborted';
  if (reason !== null) {
    if (state.finished) reason = null;
    state.finished = true;
  }
  if (reason === sent) return 'unchanged';
  choice['finish_reason'] = reason;
  return 'changed';
}

export function repairChatChoice(choice: JsonObject, position: number, states: Map<number, ChoiceState>): ChoiceVerdict {
  const { state, first, changed: indexChanged } = stateOf(states, choice, position);
  let changed = indexChanged;
  let delta = choice['delta'];
  if (!isRecord(delta)) {
    delta = {};
    changed = true;
  }
  let d = delta as JsonObject;
  changed = dropNulls(d, ['role', 'tool_calls', 'function_call']) || changed;
  if (first && d['role'] === undefined) {
    d = { role: 'assistant', ...d };
    changed = true;
  }
  if (changed) choice['delta'] = d;
  changed = renameReasoning(d) || changed;
  const content = d['content'];
  if (typeof content === 'string' && content !== '') {
    state.text += content;
    state.contentChunks += 1;
  }
  const calls = d['tool_calls'];
  if (Array.isArray(calls)) {
    calls.forEach((call: unknown, position) => {
      if (isRecord(call)) changed = repairToolCallDelta(call, position, state) || changed;
    });
  }
  const finish = repairFinish(choice, state, chatFinishReasons);
  if (finish === 'aborted') return 'aborted';
  return changed || finish === 'changed' ? 'changed' : 'unchanged';
}

function repairToolCallDelta(call: JsonObject, position: number, state: ChoiceState): boolean {
  let changed = false;
  if (!isInteger(call['index'])) {
    call['index'] = position;
    changed = true;
  }
  const index = call['index'] as number;
  if (!state.toolCalls.has(index)) {
    state.toolCalls.add(index);
    return completeToolCall(call) || changed;
  }
  changed = dropNulls(call, ['id', 'type']) || changed;
  const fn = call['function'];
  if (isRecord(fn)) return dropNulls(fn, ['name', 'arguments']) || changed;
  // Strict clients (the Vercel AI SDK) want `function` as an object in every tool-call delta.
  call['function'] = {};
  return true;
}

export function repairCompletionChoice(choice: JsonObject, position: number, states: Map<number, ChoiceState>): ChoiceVerdict {
  const { state, changed: indexChanged } = stateOf(states, choice, position);
  let changed = indexChanged;
  if (typeof choice['text'] !== 'string') {
    choice['text'] = '';
    changed = true;
  } else if (choice['text'] !== '') {
    state.text += choice['text'];
    state.contentChunks += 1;
  }
  if (choice['logprobs'] === undefined) {
    choice['logprobs'] = null;
    changed = true;
  }
  const finish = repairFinish(choice, state, completionFinishReasons);
  if (finish === 'aborted') return 'aborted';
  return changed || finish === 'changed' ? 'changed' : 'unchanged';
}
