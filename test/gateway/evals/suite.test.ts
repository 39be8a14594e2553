/**
 * Loading eval suites: a valid file becomes cases with their request bodies ready to send, and every
 * mistake is reported at once, each as file:line:col with the dotted path, as config errors are.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSuiteFile, loadSuiteText } from '../../../gateway/evals/suite.js';

const fixtures = fileURLToPath(new URL('../../fixtures/evals/', import.meta.url));

function errorsOf(text: string): string[] {
  const result = loadSuiteText(text, 'suite.yaml');
  if (result.ok) throw new Error('expected the suite to be refused');
  return result.errors;
}

describe('loadSuiteText', () => {
  it('merges defaults, request and tools into each body, turns a prompt into a user message, and names the suite after its file', () => {
    const result = loadSuiteText(
      `
defaults: { max_tokens: 8, temperature: 0 }
cases:
  - name: one
    prompt: hi
    request: { temperature: 0.5, response_format: { type: json_object } }
    tools: [{ type: function, function: { name: f } }]
    expect: { contains: lorem, json_schema: true }
  - name: two
    messages: [{ role: user, content: hello }]
    expect: { contains: [a, b], max_cost_usd: 0.01 }
`,
      'evals/smoke.yaml',
    );
    expect(result).toEqual({
      ok: true,
      suite: {
        name: 'smoke',
        cases: [
          {
            name: 'one',
            body: {
              max_tokens: 8,
              temperature: 0.5,
              response_format: { type: 'json_object' },
              tools: [{ type: 'function', function: { name: 'f' } }],
              messages: [{ role: 'user', content: 'hi' }],
            },
            expect: { contains: ['lorem'], json_schema: true },
          },
          {
            name: 'two',
            body: { max_tokens: 8, temperature: 0, messages: [{ role: 'user', content: 'hello' }] },
            expect: { contains: ['a', 'b'], max_cost_usd: 0.01 },
          },
        ],
      },
    });
  });

  it('uses the suite key as the name when there is one', () => {
    const result = loadSuiteText('suite: chat-smoke\ncases: [{ name: a, prompt: hi, expect: { regex: x } }]\n', 'x.yaml');
    expect(result.ok && result.suite.name).toBe('chat-smoke');
  });

  it('names an unknown key at the key itself, with a did-you-mean and the allowed keys', () => {
    expect(errorsOf('cases:\n  - name: a\n    prompt: hi\n    expect: { regex: x }\n    tool: f\n')).toEqual([
      "suite.yaml:5:5: cases[0].tool: unknown key 'tool' (did you mean 'tools'?); allowed here: name, messages, prompt, expect, tools, request",
    ]);
    expect(errorsOf('sute: x\ncases: [{ name: a, prompt: hi, expect: { regex: x } }]\n')[0]).toMatch(
      /^suite\.yaml:1:1: sute: unknown key 'sute' \(did you mean 'suite'\?\)/,
    );
  });

  it('refuses a case without messages or prompt, and one with both', () => {
    expect(errorsOf('cases:\n  - name: a\n    expect: { regex: x }\n')).toEqual([
      'suite.yaml:2:5: cases[0]: a case needs messages or prompt',
    ]);
    expect(errorsOf('cases:\n  - name: a\n    messages: [{ role: user, content: x }]\n    prompt: hi\n    expect: { regex: x }\n')).toEqual(
      ['suite.yaml:4:5: cases[0].prompt: give messages or prompt, not both'],
    );
  });

  it('refuses a regex that does not compile and a JSON schema ajv does not accept, at their values', () => {
    const errors = errorsOf(`cases:
  - name: a
    prompt: hi
    expect:
      regex: "[a-"
      json_schema: { type: objekt }
`);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^suite\.yaml:5:14: cases\[0\]\.expect\.regex: the regex does not compile: .*\[a-/);
    expect(errors[1]).toMatch(/^suite\.yaml:6:20: cases\[0\]\.expect\.json_schema: the JSON schema does not compile: schema is invalid/);
  });

  it('needs at least one expectation, unique names, and leaves model, messages and stream to the eval', () => {
    expect(
      errorsOf(`defaults: { model: gpt-4o }
cases:
  - name: a
    prompt: hi
    expect: {}
  - name: a
    prompt: hi
    request: { stream: true }
    expect: { regex: x }
`),
    ).toEqual([
      "suite.yaml:1:13: defaults.model: 'model' is set by the eval: the model is the --route",
      'suite.yaml:5:13: cases[0].expect: needs at least one expectation: contains, contains_any, regex, json_schema, tool_call, max_latency_ms, max_cost_usd',
      "suite.yaml:6:11: cases[1].name: duplicate case name 'a' (also cases[0])",
      "suite.yaml:8:16: cases[1].request.stream: 'stream' is set by the eval: answers are not streamed",
    ]);
  });

  it('says what a value should have been', () => {
    expect(errorsOf('cases:\n  - name: a\n    prompt: hi\n    expect: { contains: 3, max_latency_ms: soon }\n')).toEqual([
      'suite.yaml:4:25: cases[0].expect.contains: expected a string or a list of strings, got 3',
      'suite.yaml:4:44: cases[0].expect.max_latency_ms: expected a number, got a string',
    ]);
    expect(errorsOf('suite: x\n')).toEqual(["suite.yaml:1:1: (top level): missing required key 'cases'"]);
    expect(errorsOf('- a\n')).toEqual(['suite.yaml:1:1: (top level): a suite is a YAML mapping with a list of cases']);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(errorsOf('cases:\n  - name: a\n    prompt: hi\n    prompt: again\n')[0]).toMatch(
      /^suite\.yaml:4:5: \(yaml\): Map keys must be unique/,
    );
  });
});

describe('loadSuiteFile', () => {
  it('reports every mistake of a file at once, in file order', () => {
    const result = loadSuiteFile(`${fixtures}invalid.yaml`);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.map((e) => e.slice(fixtures.length));
    expect(errors).toEqual([
      expect.stringMatching(/^invalid\.yaml:7:7: cases\[0\]\.expect\.contain: unknown key 'contain' \(did you mean 'contains'\?\)/),
      'invalid.yaml:8:5: cases[1]: a case needs messages or prompt',
      expect.stringMatching(/^invalid\.yaml:14:14: cases\[2\]\.expect\.regex: the regex does not compile/),
      expect.stringMatching(/^invalid\.yaml:18:20: cases\[3\]\.expect\.json_schema: the JSON schema does not compile/),
    ]);
  });

  it('says when the file cannot be read', () => {
    expect(loadSuiteFile(`${fixtures}missing.yaml`)).toEqual({
      ok: false,
      errors: [`${fixtures}missing.yaml:1:1: (file): cannot read the suite: no such file`],
    });
  });
});
