/**
 * The only list of front doors: the inbound APIs other than OpenAI's Chat Completions that clients
 * may speak to the gateway (adapters/front-door.ts). routes/app.ts serves each at its path.
 */
import type { FrontDoor } from './front-door.js';
import { anthropicCountTokensDoor, anthropicMessagesDoor } from './anthropic/door/index.js';
import { openAIResponsesDoor } from './openai-compatible/responses/index.js';

export const frontDoors: readonly FrontDoor[] = [anthropicMessagesDoor, anthropicCountTokensDoor, openAIResponsesDoor];
