import { describe, expect, it } from 'vitest';
import {
  bedrockFloatingModel,
  geminiFloatingModel,
  ollamaFloatingModel,
  openAIFloatingModel,
  type FloatingModelRule,
} from '../../../adapters/shared/floating-models.js';
import { providerKindOf } from '../../../adapters/index.js';
import { anthropicFloatingModel } from '../../../adapters/anthropic/models.js';

function table(rule: FloatingModelRule, pinned: string[], floating: string[]): void {
  it.each(pinned)('%s is pinned', (model) => expect(rule(model)).toBeUndefined());
  it.each(floating)('%s floats, and the reason names it', (model) => expect(rule(model)).toContain(`'${model}'`));
}

describe('OpenAI', () => {
  table(
    openAIFloatingModel,
    [
      'gpt-4o-2024-08-06',
      'gpt-4o-mini-2024-07-18',
      'o1-2024-12-17',
      'gpt-4o-realtime-preview-2024-12-17',
      'gpt-4-0613',
      'gpt-3.5-turbo-0125',
      'gpt-4-1106-preview',
      'gpt-4-1106-vision-preview',
      // Undated families: the id is the version.
      'text-embedding-3-small',
      'text-embedding-ada-002',
      'whisper-1',
      'tts-1-hd',
      'dall-e-3',
      'omni-moderation-2024-09-26',
      'davinci-002',
      'ft:gpt-4o-mini-2024-07-18:acme::abc123',
    ],
    ['gpt-4o', 'gpt-4o-mini', 'o1', 'gpt-4.1', 'chatgpt-4o-latest', 'omni-moderation-latest', 'text-moderation-stable', 'm'],
  );
  it('suggests a dated id', () => {
    expect(openAIFloatingModel('gpt-4o')).toBe(
      "'gpt-4o' is a floating alias: OpenAI moves it to new snapshots; pin a dated id such as gpt-4o-YYYY-MM-DD (OpenAI's models page lists them)",
    );
  });
});

describe('Anthropic', () => {
  table(
    anthropicFloatingModel,
    [
      'claude-sonnet-4-20250514',
      'claude-3-5-sonnet-20241022',
      'claude-3-5-sonnet-v2@20241022',
      'claude-2.1',
      'claude-instant-1.2',
      // From 4.6 on the dateless id is one fixed snapshot.
      'claude-sonnet-4-6',
      'claude-opus-4-7',
    ],
    ['claude-3-5-sonnet-latest', 'claude-3-7-sonnet-latest', 'claude-sonnet-4-0', 'claude-opus-4-1', 'claude-sonnet-4-5', 'sonnet'],
  );
});

describe('Gemini', () => {
  table(
    geminiFloatingModel,
    [
      'gemini-1.5-pro-002',
      'gemini-2.0-flash-001',
      'models/gemini-1.5-flash-002',
      'publishers/google/models/gemini-1.5-pro-002',
      'text-embedding-004',
      'gemini-2.5-pro-preview-06-05',
      'gemini-2.5-flash-preview-09-2025',
      'gemini-exp-1206',
      // From 2.5 on the plain name is the stable model (no numbered versions).
      'gemini-2.5-flash',
      'gemini-2.5-flash-lite',
    ],
    [
      'gemini-1.5-pro',
      'gemini-2.0-flash',
      'gemini-pro',
      'gemini-1.5-pro-latest',
      'gemini-flash-latest',
      'gemini-2.0-flash-exp',
      'gemini-3-pro-preview',
    ],
  );
});

describe('Bedrock', () => {
  table(
    bedrockFloatingModel,
    [
      'anthropic.claude-3-5-sonnet-20240620-v1:0',
      'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      'amazon.titan-text-express-v1:0:8k',
      'meta.llama3-70b-instruct-v1:0',
      'arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123',
    ],
    ['anthropic.claude-3-5-sonnet-20240620-v1', 'anthropic.claude-v2', 'amazon.titan-embed-text-v2'],
  );
});

describe('Ollama', () => {
  table(
    ollamaFloatingModel,
    [
      'llama3.1:8b',
      'llama3.2:3b',
      'nomic-embed-text:v1.5',
      'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M',
      'registry.example:5000/team/llama3:8b',
    ],
    ['llama3.1', 'llama3.1:latest', 'nomic-embed-text', 'registry.example:5000/team/llama3'],
  );
});

describe('attached per provider type (adapters/index.ts)', () => {
  it('openai and ollama have their rules; the self-hosted servers and openai-compatible have none', () => {
    expect(providerKindOf('openai').floatingModel).toBe(openAIFloatingModel);
    expect(providerKindOf('ollama').floatingModel).toBe(ollamaFloatingModel);
    for (const type of ['openai-compatible', 'vllm', 'tgi', 'sglang', 'llamacpp'])
      expect(providerKindOf(type).floatingModel).toBeUndefined();
  });
});
