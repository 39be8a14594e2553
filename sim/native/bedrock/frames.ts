/**
 * ConverseStream's answer, frame by frame, in AWS's binary event-stream encoding (smithy's maintained
 * codec, which the AWS SDK decodes with; test/sim/bedrock.test.ts has the SDK itself read these
 * frames). Each event is one message with `:message-type: event`, `:event-type` and `:content-type:
 * application/json`; an in-stream failure is `:message-type: exception` with `:exception-type`. Text
 * blocks open without a `contentBlockStart`, as Bedrock's do; a tool-use block opens with one carrying
 * the id and name.
 */
import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ChoicePlan } from '../../answer.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function encodeEvent(headers: Record<string, string>, payload: string): Uint8Array {
  const typed: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers)) typed[name] = { type: 'string', value };
  return codec.encode({ headers: typed, body: fromUtf8(payload) });
}

export function eventFrame(eventType: string, payload: unknown): Buffer {
  return Buffer.from(
    encodeEvent({ ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(payload)),
  );
}

export function exceptionFrame(exceptionType: string, payload: unknown): Buffer {
  return Buffer.from(
    encodeEvent(
      { ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' },
      JSON.stringify(payload),
    ),
  );
}

/** A frame that is well formed but whose payload is not JSON: what a broken proxy or a bug would send. */
export const malformedFrame = (): Buffer =>
  Buffer.from(
    encodeEvent({ ':event-type': 'contentBlockDelta', ':content-type': 'application/json', ':message-type': 'event' }, '{"delta":'),
  );

export type BedrockStopReason = 'end_turn' | 'stop_sequence' | 'max_tokens' | 'tool_use';

export function stopReasonOf(choice: ChoicePlan): BedrockStopReason {
  if (choice.finish === 'tool_calls') return 'tool_use';
  if (choice.finish === 'length') return 'max_tokens';
  return choice.stopMatched !== null ? 'stop_sequence' : 'end_turn';
}

/** Bedrock's tool-use ids look like `tooluse_<22 characters>`. */
export function toolUseId(planned: string): string {
  return `tooluse_${planned.replace(/^call_/, '')}`;
}

/** The frames of one step of the answer: piece `step` of the single choice. */
export function pieceFrames(choice: ChoicePlan, step: number): Buffer[] {
  const piece = choice.pieces[step]!;
  const call = choice.toolCall;
  if (call === undefined) return piece === '' ? [] : [eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: piece } })];
  if (step === 0)
    return [
      eventFrame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: toolUseId(call.id), name: call.name } } }),
    ];
  return [eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: piece } } })];
}

export interface SimUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export function usageOf(promptTokens: number, outputTokens: number): SimUsage {
  return { inputTokens: promptTokens, outputTokens, totalTokens: promptTokens + outputTokens };
}

/** The whole Converse answer (non-stream). */
export function converseBody(choice: ChoicePlan, usage: SimUsage, latencyMs: number): Record<string, unknown> {
  const call = choice.toolCall;
  const content =
    call === undefined
      ? [{ text: choice.pieces.join('') }]
      : [{ toolUse: { toolUseId: toolUseId(call.id), name: call.name, input: JSON.parse(call.arguments) as unknown } }];
  return { output: { message: { role: 'assistant', content } }, stopReason: stopReasonOf(choice), usage, metrics: { latencyMs } };
}
