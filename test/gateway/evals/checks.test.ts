/**
 * Each expectation kind on an answer that meets it and on one that does not, with the reason given.
 */
import { describe, expect, it } from 'vitest';
import { answerText, compileChecks, type CheckedAnswer, type EvalExpectation } from '../../../gateway/evals/checks.js';

const chat = (content: unknown, extra: Record<string, unknown> = {}): unknown => ({
  choices: [{ index: 0, message: { role: 'assistant', content, ...extra }, finish_reason: 'stop' }],
});
const answer = (body: unknown, more: Partial<CheckedAnswer> = {}): CheckedAnswer => ({ body, latencyMs: 10, costUsd: undefined, ...more });
const reasons = (expectation: EvalExpectation, a: CheckedAnswer): string[] => compileChecks(expectation)(a);

describe('answerText', () => {
  it('reads a string content, the text parts of a list, and nothing from other bodies', () => {
    expect(answerText(chat('Lorem ipsum'))).toBe('Lorem ipsum');
    expect(answerText(chat([{ type: 'text', text: 'a' }, { type: 'image_url' }, { type: 'text', text: 'b' }]))).toBe('ab');
    expect(answerText(chat(null))).toBe('');
    expect(answerText('Bad gateway')).toBe('');
  });
});

describe('compileChecks', () => {
  it('contains: every string must appear, case-sensitive', () => {
    expect(reasons({ contains: ['lorem', 'dolor'] }, answer(chat('lorem ipsum dolor')))).toEqual([]);
    expect(reasons({ contains: ['lorem', 'Ipsum'] }, answer(chat('lorem ipsum')))).toEqual(['does not contain "Ipsum"']);
  });

  it('contains_any: one is enough', () => {
    expect(reasons({ contains_any: ['x', 'ipsum'] }, answer(chat('lorem ipsum')))).toEqual([]);
    expect(reasons({ contains_any: ['x', 'y'] }, answer(chat('lorem ipsum')))).toEqual(['contains none of "x", "y"']);
  });

  it('regex: tested against the answer text', () => {
    expect(reasons({ regex: '^[A-Z][a-z]+' }, answer(chat('Lorem ipsum')))).toEqual([]);
    expect(reasons({ regex: '^\\d+$' }, answer(chat('Lorem ipsum')))).toEqual(['does not match /^\\d+$/: "Lorem ipsum"']);
  });

  it('json_schema: the text parses as JSON and validates', () => {
    const schema = { type: 'object', required: ['city'], properties: { city: { type: 'string' } } };
    expect(reasons({ json_schema: schema }, answer(chat('{"city":"Paris"}')))).toEqual([]);
    expect(reasons({ json_schema: schema }, answer(chat('{"town":"Paris"}')))).toEqual([
      "does not match the JSON schema: answer must have required property 'city'",
    ]);
    expect(reasons({ json_schema: schema }, answer(chat('Paris')))).toEqual(['is not JSON: "Paris"']);
  });

  it('tool_call: the answer calls the function, with arguments that parse as JSON', () => {
    const call = (name: string, args: string): unknown =>
      chat(null, { tool_calls: [{ id: 'c1', type: 'function', function: { name, arguments: args } }] });
    expect(reasons({ tool_call: 'get_weather' }, answer(call('get_weather', '{"city":"Paris"}')))).toEqual([]);
    expect(reasons({ tool_call: 'get_weather' }, answer(call('get_time', '{}')))).toEqual([
      'no call to get_weather: the answer calls get_time',
    ]);
    expect(reasons({ tool_call: 'get_weather' }, answer(chat('It is sunny')))).toEqual([
      'no call to get_weather: the answer calls no tool',
    ]);
    expect(reasons({ tool_call: 'get_weather' }, answer(call('get_weather', '{"city":')))).toEqual([
      'the call to get_weather has arguments that are not JSON: "{\\"city\\":"',
    ]);
  });

  it('max_latency_ms: the answer came in time', () => {
    expect(reasons({ max_latency_ms: 100 }, answer(chat('x'), { latencyMs: 99.6 }))).toEqual([]);
    expect(reasons({ max_latency_ms: 100 }, answer(chat('x'), { latencyMs: 250.4 }))).toEqual(['took 250 ms, over 100 ms']);
  });

  it('max_cost_usd: within budget, over it, or unknown when the gateway reported no cost', () => {
    expect(reasons({ max_cost_usd: 0.01 }, answer(chat('x'), { costUsd: 0.002 }))).toEqual([]);
    expect(reasons({ max_cost_usd: 0.01 }, answer(chat('x'), { costUsd: 0.02 }))).toEqual(['cost $0.02, over $0.01']);
    expect(reasons({ max_cost_usd: 0.01 }, answer(chat('x')))).toEqual(['cost unknown: the gateway reported none']);
  });

  it('gives every failing reason, not only the first', () => {
    expect(reasons({ contains: ['z'], regex: '^z', max_latency_ms: 1 }, answer(chat('a')))).toEqual([
      'does not contain "z"',
      'does not match /^z/: "a"',
      'took 10 ms, over 1 ms',
    ]);
  });
});
