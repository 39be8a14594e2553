/**
 * The conformance suite for the OpenAI-compatible family: every golden fixture under
 * test/fixtures/openai-compatible/<profile>/<scenario>/ runs through its adapter. Requests must match
 * the expected upstream request (and reuse the client's bytes when nothing changed); answers must match
 * the expected client output and have OpenAI's shape; every recorded stream must give the same output
 * whole, one byte at a time and in seeded random splits, and satisfy the stream invariants and
 * openai-node's own accumulator.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openAICompatibleAdapters } from '../../../adapters/openai-compatible/index.js';
import type { ProviderAdapter, StreamOutput, StreamTranslator } from '../../../adapters/types.js';
import { UpstreamError, type UpstreamErrorInfo } from '../../../adapters/upstream-error.js';
import { expectedText, loadScenarios, pretty, recording, renderStream, type FixtureScenario } from '../support/fixtures.js';
import { chatCompletionProblems, completionProblems, embeddingsProblems, loadSpecValidator } from '../support/openai-shapes.js';
import { accumulateWithSdk, streamProblems } from '../support/stream-checks.js';

const root = fileURLToPath(new URL('../../fixtures/openai-compatible', import.meta.url));
const scenarios = loadScenarios(root);
const validate = await loadSpecValidator();

const adapterOf = (s: FixtureScenario): ProviderAdapter => {
  const adapter = openAICompatibleAdapters[s.target.provider.type];
  if (!adapter) throw new Error(`no adapter for ${s.target.provider.type}`);
  return adapter;
};

function infoOf(err: UpstreamErrorInfo): UpstreamErrorInfo {
  const { kind, retryable, retryAfterMs, status, message, code, param } = err;
  return JSON.parse(JSON.stringify({ kind, retryable, retryAfterMs, status, message, code, param })) as UpstreamErrorInfo;
}

/** Compares with the expected file (JSON compared as values, text exactly). */
function expectFile(s: FixtureScenario, file: string, actual: string, json: boolean): void {
  const expected = expectedText(s.dir, file, actual);
  if (expected === undefined) throw new Error(`${s.profile}/${s.name}: missing ${file} (record with SWITCHYARD_RECORD_FIXTURES=1 and review)`);
  if (json) expect(JSON.parse(actual)).toEqual(JSON.parse(expected));
  else expect(actual).toBe(expected);
}

function translate(s: FixtureScenario, pieces: readonly Uint8Array[]): { outputs: StreamOutput[]; translator: StreamTranslator & { malformedEvents?: number } } {
  const translator: StreamTranslator & { malformedEvents?: number } = adapterOf(s).createStreamTranslator(s.request, s.target);
  const outputs: StreamOutput[] = [];
  for (const piece of pieces) outputs.push(...translator.push(piece));
  outputs.push(...translator.end());
  return { outputs, translator };
}

function cutAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, cut));
    from = cut;
  }
  return pieces;
}

it('has fixtures for every provider type of the family', () => {
  expect([...new Set(scenarios.map((s) => s.profile))].sort()).toEqual(Object.keys(openAICompatibleAdapters).sort());
});

describe.each([...new Set(scenarios.map((s) => s.profile))])('%s', (profile) => {
  describe.each(scenarios.filter((s) => s.profile === profile).map((s) => [s.name, s] as const))('%s', (_name, s) => {
    it('builds the expected upstream request', () => {
      const before = JSON.stringify(s.request.body);
      const built = adapterOf(s).buildRequest(s.request, s.target);
      const sentClientBytes = built.body === s.request.raw;
      const actual = { method: built.method, path: built.path, headers: built.headers, sentClientBytes, body: JSON.parse(String(built.body)) as unknown };
      expectFile(s, 'expected-upstream-request.json', pretty(actual), true);
      expect(JSON.stringify(s.request.body)).toBe(before);
    });

    if (s.upstreamResponse) {
      const upstream = s.upstreamResponse;
      it('translates the upstream answer', () => {
        const adapter = adapterOf(s);
        let actual: Record<string, unknown>;
        if (upstream.status >= 200 && upstream.status < 300) {
          try {
            const out = adapter.translateResponse(s.request, Buffer.from(upstream.body), s.target);
            actual = { verbatim: out.body === upstream.body, model: out.model, usage: out.usage, response: JSON.parse(out.body) as unknown };
            const doc = actual['response'];
            const problems = s.request.operation === 'chat' ? chatCompletionProblems(doc)
              : s.request.operation === 'completions' ? completionProblems(doc, false)
                : embeddingsProblems(doc, s.request.body['encoding_format'] === 'base64' ? 'base64' : 'float');
            expect(problems).toEqual([]);
            if (validate) {
              const schema = { chat: 'CreateChatCompletionResponse', completions: 'CreateCompletionResponse', embeddings: 'CreateEmbeddingResponse' }[s.request.operation];
              // The spec models embeddings as float arrays only: base64 answers are checked by hand above.
              if (s.request.body['encoding_format'] !== 'base64') expect(validate(schema, doc)).toEqual([]);
            }
          } catch (err) {
            if (!(err instanceof UpstreamError)) throw err;
            actual = { error: infoOf(err) };
          }
        } else {
          actual = { error: infoOf(adapter.classifyError(upstream.status, upstream.body, upstream.headers)) };
        }
        expectFile(s, 'expected-client-output.json', pretty(actual), true);
      });
    }

    if (s.upstreamStream) {
      const bytes = new Uint8Array(s.upstreamStream);
      it('translates the upstream stream', async () => {
        const { outputs, translator } = translate(s, [bytes]);
        expectFile(s, 'expected-client-stream.txt', renderStream(outputs), false);
        const state = { started: translator.started, model: translator.model, usage: translator.usage, malformedEvents: translator.malformedEvents };
        expectFile(s, 'expected-stream-state.json', pretty(state), true);
        expect(streamProblems(outputs, s.request, validate)).toEqual([]);
        if (s.request.operation === 'chat' && outputs.at(-1)?.type === 'done') {
          const completion = await accumulateWithSdk(outputs);
          for (const choice of completion.choices) {
            for (const call of choice.message.tool_calls ?? []) {
              if (call.type === 'function') expect(() => JSON.parse(call.function.arguments) as unknown).not.toThrow();
            }
          }
        }
      });

      it.skipIf(recording)('gives the same output one byte at a time and in seeded random splits', () => {
        const whole = translate(s, [bytes]).outputs;
        expect(translate(s, Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1))).outputs).toEqual(whole);
        fc.assert(
          fc.property(fc.array(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 16 }), (cuts) => {
            expect(translate(s, cutAt(bytes, cuts)).outputs).toEqual(whole);
          }),
          { seed: 20260821, numRuns: 40 },
        );
      });
    }
  });
});
