/** Known windows (learnt over declared) and the prompt's sure token count that skipping relies on. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText, formatIssue } from '../../../config/loader.js';
import { buildRuntime } from '../../../gateway/runtime/build.js';
import type { Runtime } from '../../../gateway/runtime/runtime.js';
import type { ClientRequest, Operation } from '../../../adapters/types.js';
import { anyKnownWindow, knownContextWindow, promptTokensAtLeast, skippedForContext } from '../../../gateway/routing/context-window.js';

const text = `version: 1
providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1" }
deployments:
  declared: { provider: p, model: m, context_window: 8000, allow_floating: true }
  unknown: { provider: p, model: n, allow_floating: true }
routes:
  r: { targets: [declared, unknown] }
`;

let rt: Runtime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function deployments() {
  const loaded = loadConfigText(text, 'windows.yaml', {});
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  const runtime = buildRuntime(loaded.config);
  rt = runtime;
  return { declared: runtime.deployments.get('declared')!, unknown: runtime.deployments.get('unknown')! };
}

function request(operation: Operation, body: Record<string, unknown>): ClientRequest {
  const raw = Buffer.from(JSON.stringify(body));
  return { operation, body, raw, stream: false, includeUsage: false };
}

describe('knownContextWindow', () => {
  it('is the learnt window, else the declared one, else unknown', () => {
    const { declared, unknown } = deployments();
    expect(knownContextWindow(declared)).toBe(8000);
    expect(knownContextWindow(unknown)).toBeUndefined();
    expect(anyKnownWindow([unknown])).toBe(false);
    declared.health.learnContextWindow(4096);
    unknown.health.learnContextWindow(2048);
    expect(knownContextWindow(declared)).toBe(4096);
    expect(knownContextWindow(unknown)).toBe(2048);
    expect(anyKnownWindow([unknown])).toBe(true);
  });

  it('skips only a prompt surely larger than the window, saying where the window came from', () => {
    const { declared } = deployments();
    expect(skippedForContext(declared, 8000)).toBeUndefined();
    expect(skippedForContext(declared, 8001)).toMatchObject({ kind: 'context_length', status: 400, code: 'context_length_exceeded' });
    expect(skippedForContext(declared, 8001)!.message).toContain('8000 tokens (as configured)');
  });
});

describe('promptTokensAtLeast', () => {
  it('counts the text of chat messages at six characters a token, strings and text parts alike', () => {
    const body = {
      model: 'r',
      messages: [
        { role: 'system', content: 'a'.repeat(600) },
        { role: 'user', content: [{ type: 'text', text: 'b'.repeat(600) }] },
        { role: 'assistant', content: null, tool_calls: [] },
      ],
    };
    expect(promptTokensAtLeast(request('chat', body))).toBe(200);
  });

  it('counts nothing for images, audio or files, however large', () => {
    const image = { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(600_000)}` } };
    const body = { model: 'r', messages: [{ role: 'user', content: [{ type: 'text', text: 'c'.repeat(60) }, image] }] };
    expect(promptTokensAtLeast(request('chat', body))).toBe(10);
  });

  it('counts legacy prompts (token ids as tokens), and never embeddings', () => {
    expect(promptTokensAtLeast(request('completions', { model: 'r', prompt: ['d'.repeat(60), 'e'.repeat(60)] }))).toBe(20);
    expect(promptTokensAtLeast(request('completions', { model: 'r', prompt: [[1, 2, 3]] }))).toBe(3);
    expect(promptTokensAtLeast(request('embeddings', { model: 'r', input: 'f'.repeat(6000) }))).toBe(0);
  });
});
