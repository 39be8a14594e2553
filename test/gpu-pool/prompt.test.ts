/**
 * Rendering a request body's prompt for prefix affinity: chat messages (string and array content,
 * images, tool calls), the legacy completions prompt, a conversation growing by turns, and junk.
 */
import { describe, expect, it } from 'vitest';
import { renderPrompt } from '../../gpu-pool/prompt.js';

describe('renderPrompt', () => {
  it('renders chat messages in order as role, newline, text', () => {
    const text = renderPrompt({
      model: 'm',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    const [first, second] = text.split('\n\u001e\n');
    expect(first).toBe('system\nYou are terse.');
    expect(second).toBe('user\nHi');
  });

  it('takes the text parts of array content, an image as its url, and tool calls as name(arguments)', () => {
    const text = renderPrompt({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
      ],
    });
    expect(text).toContain('user\nWhat is in\nhttps://example.com/cat.png\n[audio]');
    expect(text).toContain('assistant\n\nlook({"x":1})');
    expect(text).toContain('tool\na cat');
    expect(text).not.toContain('AAAA');
  });

  it('puts the tools first, and renders the same body the same way every time', () => {
    const body = {
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      messages: [{ role: 'user', content: 'go' }],
    };
    const text = renderPrompt(body);
    expect(text.startsWith('tools\n')).toBe(true);
    expect(text.endsWith('user\ngo')).toBe(true);
    expect(renderPrompt(structuredClone(body))).toBe(text);
  });

  it('extends the earlier rendering when a conversation grows by turns', () => {
    const turns = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Name a prime.' },
      { role: 'assistant', content: '7' },
      { role: 'user', content: [{ type: 'text', text: 'Another?' }] },
    ];
    let previous = '';
    for (let n = 1; n <= turns.length; n += 1) {
      const text = renderPrompt({ messages: turns.slice(0, n) });
      expect(text.startsWith(previous)).toBe(true);
      expect(text.length).toBeGreaterThan(previous.length);
      previous = text;
    }
  });

  it('renders a legacy completions prompt: a string, or an array of strings joined', () => {
    expect(renderPrompt({ model: 'm', prompt: 'Once upon a time' })).toBe('Once upon a time');
    expect(renderPrompt({ prompt: ['a', 'b'] })).toBe('a\nb');
    expect(renderPrompt({ prompt: [1, 2, 3] })).toBe('1\n2\n3');
  });

  it('renders a Responses input: a string, or items like messages', () => {
    expect(renderPrompt({ input: 'hello' })).toBe('hello');
    expect(renderPrompt({ input: [{ role: 'user', content: [{ type: 'input_text', text: 'hey' }] }] })).toBe('user\nhey');
  });

  it('tolerates junk without throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const throwing = Object.defineProperty({}, 'messages', {
      get() {
        throw new Error('boom');
      },
    });
    expect(renderPrompt({})).toBe('');
    expect(renderPrompt({ messages: 'not an array', prompt: 5 })).toBe('');
    expect(renderPrompt(throwing)).toBe('');
    expect(renderPrompt(null as unknown as Record<string, unknown>)).toBe('');
    expect(() => renderPrompt({ messages: [null, 7, 'raw', { role: 3, content: { x: 1 } }, { content: [null, 1, {}] }] })).not.toThrow();
    expect(() => renderPrompt({ tools: [cyclic], messages: [{ role: 'user', content: 'x', tool_calls: [cyclic, null] }] })).not.toThrow();
    expect(renderPrompt({ tools: [cyclic], messages: [{ role: 'user', content: 'x' }] })).toContain('user\nx');
  });
});
