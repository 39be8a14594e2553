/** Helpers for the Anthropic front door's unit tests: accepting a body as the door would. */
import { anthropicCountTokensDoor, anthropicMessagesDoor } from '../../../adapters/anthropic/door/index.js';
import type { DoorRequest } from '../../../adapters/front-door.js';
import type { UpstreamHeaders } from '../../../adapters/types.js';

export const baseBody = { model: 'claude-route', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] };

export function accept(body: Record<string, unknown>, headers: UpstreamHeaders = {}): DoorRequest {
  return anthropicMessagesDoor.accept(body, Buffer.from(JSON.stringify(body)), headers);
}

export function acceptCount(body: Record<string, unknown>): DoorRequest {
  return anthropicCountTokensDoor.accept(body, Buffer.from(JSON.stringify(body)), {});
}

/** The OpenAI body the door made. */
export function openai(body: Record<string, unknown>): Record<string, any> {
  return accept(body).request.body as Record<string, any>;
}
