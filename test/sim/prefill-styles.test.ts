/**
 * The simulator continues a partial assistant answer as each style of server does (`prefill`), and
 * by default as vLLM does, whatever its kind: a final assistant message alone is then a prompt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator, type SimPrefillStyle } from '../../sim/index.js';
import { chatRequest, post, type ErrorBody } from './helpers.js';

const styles: SimPrefillStyle[] = ['continue_final_message', 'last_assistant', 'prefix_flag', 'none'];
const sims = new Map<SimPrefillStyle, RunningSimulator>();

beforeAll(async () => {
  for (const prefill of styles) sims.set(prefill, await startSimulator({ kind: 'openai', model: 'm', ttftMs: 0, tpotMs: 0, prefill }));
});
afterAll(async () => {
  await Promise.all([...sims.values()].map((s) => s.close()));
});

const base = chatRequest('m');
const baseMessages = base['messages'] as unknown[];

async function answer(style: SimPrefillStyle, body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const res = await post(sims.get(style)!, '/chat/completions', body);
  const json = (await res.json()) as { choices?: Array<{ message: { content: string } }> } & Partial<ErrorBody>;
  return { status: res.status, text: json.choices?.[0]?.message.content ?? json.error!.message };
}

describe('simulator prefill styles', () => {
  it('each style continues the answer from its own form of prefill, and only that', async () => {
    const full = (await answer('none', base)).text;
    const partial = full.slice(0, 12);
    const withPartial = (extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
      ...base,
      ...top,
      messages: [...baseMessages, { role: 'assistant', content: partial, ...extra }],
    });
    const rest = full.slice(12);
    expect(
      (await answer('continue_final_message', withPartial({}, { continue_final_message: true, add_generation_prompt: false }))).text,
    ).toBe(rest);
    expect((await answer('last_assistant', withPartial())).text).toBe(rest);
    expect((await answer('prefix_flag', withPartial({ prefix: true }))).text).toBe(rest);
    // The default keeps a plain final assistant message as part of the prompt: another answer.
    expect((await answer('continue_final_message', withPartial())).text).not.toBe(rest);
  });

  it('prefix_flag refuses a final assistant message without prefix; none refuses any, with a 400 about the last message', async () => {
    const body = { ...base, messages: [...baseMessages, { role: 'assistant', content: 'Lorem' }] };
    const flagless = await answer('prefix_flag', body);
    expect(flagless.status).toBe(400);
    expect(flagless.text).toMatch(/last role/);
    const refused = await answer('none', body);
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/last message/);
    expect((await answer('none', { ...body, continue_final_message: true, add_generation_prompt: false })).status).toBe(400);
  });

  it('an unknown style is refused at start', async () => {
    await expect(startSimulator({ kind: 'openai', model: 'm', prefill: 'sideways' as SimPrefillStyle })).rejects.toThrow(
      /prefill must be one of/,
    );
  });
});
