/**
 * The conformance suite, over every provider type in adapters/index.ts: each type's golden fixtures
 * (test/fixtures/<type>/<scenario>/, or test/fixtures/<family>/<type>/<scenario>/) run through its
 * adapter. Requests, once authorized as the executor authorizes them, must match the expected upstream
 * request (and reuse the client's bytes when nothing changed); answers must match the expected client
 * output and have OpenAI's shape; every recorded stream must give the same output whole, one byte at a
 * time and in seeded random splits, and satisfy the stream invariants and openai-node's own
 * accumulator. A type with no fixtures fails; a standard scenario a type has no fixture for is skipped
 * only with a reason: the type does not serve its operation, or its folder's `skipped.json` says why.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { adapterFor, providerTypes } from '../../adapters/index.js';
import type {
  OpenAIOperation,
  Operation,
  ProviderAdapter,
  StreamOutput,
  StreamTranslator,
  UpstreamHttpRequest,
} from '../../adapters/types.js';
import { UpstreamError, type UpstreamErrorInfo } from '../../adapters/upstream-error.js';
import {
  expectedText,
  fixtureDirs,
  loadScenarios,
  loadSkips,
  pretty,
  recording,
  renderStream,
  type FixtureScenario,
} from './support/fixtures.js';
import { chatCompletionProblems, completionProblems, embeddingsProblems, loadSpecValidator } from './support/openai-shapes.js';
import { accumulateWithSdk, streamProblems } from './support/stream-checks.js';

const root = fileURLToPath(new URL('../fixtures', import.meta.url));
const dirs = fixtureDirs(root);
const validate = await loadSpecValidator();

// Providers whose answers carry no timestamp (Anthropic, Bedrock, the Gemini API) get `created` from
// the translation's clock: a fixed clock makes their golden output reproducible (ids and timestamps
// are normalised in the fixtures: created 1732000000). Only Date is faked; timers stay real.
vi.useFakeTimers({ toFake: ['Date'], now: 1_732_000_000_000 });

/**
 * What every adapter type runs. `variants`: any `<scenario>-<variant>` fixture covers it (embeddings
 * come as float, base64, or base64 encoded by us from floats, depending on the server).
 */
const standardScenarios: ReadonlyArray<{ scenario: string; operation: Operation; variants?: true }> = [
  { scenario: 'chat-basic', operation: 'chat' },
  { scenario: 'chat-streaming', operation: 'chat' },
  { scenario: 'chat-streaming-usage', operation: 'chat' },
  { scenario: 'chat-tools', operation: 'chat' },
  { scenario: 'chat-tools-streaming', operation: 'chat' },
  { scenario: 'completions-basic', operation: 'completions' },
  { scenario: 'embeddings', operation: 'embeddings', variants: true },
  { scenario: 'error-rate-limited', operation: 'chat' },
];

interface Coverage {
  /** Standard scenario -> why it is skipped for this type. */
  skipped: Map<string, string>;
  /** What is wrong with this type's fixtures or skip list. */
  problems: string[];
}

function coverageOf(adapter: ProviderAdapter, names: readonly string[], declared: Readonly<Record<string, string>>): Coverage {
  const skipped = new Map<string, string>();
  const problems: string[] = [];
  for (const { scenario, operation, variants } of standardScenarios) {
    const covered = names.some((n) => n === scenario || (variants === true && n.startsWith(`${scenario}-`)));
    const served = adapter.operations.has(operation);
    const reason = declared[scenario];
    if (covered && !served) problems.push(`${scenario}: has fixtures, but the adapter does not serve ${operation}`);
    if (covered && reason !== undefined) problems.push(`${scenario}: has fixtures and is also listed in skipped.json`);
    if (covered) continue;
    if (!served) skipped.set(scenario, `not an operation this provider serves (${operation})`);
    else if (reason !== undefined && reason.trim() !== '') skipped.set(scenario, reason);
    else
      problems.push(
        `${scenario}: no fixture and no reason (add test/fixtures/.../${adapter.type}/${scenario}/, or say why in skipped.json)`,
      );
  }
  for (const scenario of Object.keys(declared)) {
    if (!standardScenarios.some((s) => s.scenario === scenario)) problems.push(`skipped.json: '${scenario}' is not a standard scenario`);
  }
  return { skipped, problems };
}

function infoOf(err: UpstreamErrorInfo): UpstreamErrorInfo {
  const { kind, retryable, retryAfterMs, status, message, code, param } = err;
  return JSON.parse(JSON.stringify({ kind, retryable, retryAfterMs, status, message, code, param })) as UpstreamErrorInfo;
}

/** Compares with the expected file (JSON compared as values, text exactly). */
function expectFile(s: FixtureScenario, file: string, actual: string, json: boolean): void {
  const expected = expectedText(s.dir, file, actual);
  if (expected === undefined) throw new Error(`${s.type}/${s.name}: missing ${file} (record with SWITCHYARD_RECORD_FIXTURES=1 and review)`);
  if (json) expect(JSON.parse(actual)).toEqual(JSON.parse(expected));
  else expect(actual).toBe(expected);
}

/** The request as it leaves: translated, then authorized (as gateway/execute/upstream-call.ts does). */
async function finalRequest(adapter: ProviderAdapter, s: FixtureScenario): Promise<UpstreamHttpRequest> {
  const built = adapter.buildRequest(s.request, s.target);
  return adapter.authorize ? adapter.authorize(built, s.target) : built;
}

function translate(
  adapter: ProviderAdapter,
  s: FixtureScenario,
  pieces: readonly Uint8Array[],
): { outputs: StreamOutput[]; translator: StreamTranslator & { malformedEvents?: number } } {
  const translator: StreamTranslator & { malformedEvents?: number } = adapter.createStreamTranslator(s.request, s.target);
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

it('every fixture folder belongs to a registered provider type', () => {
  expect([...dirs.keys()].filter((type) => !(providerTypes as readonly string[]).includes(type))).toEqual([]);
});

describe.each([...providerTypes])('%s', (type) => {
  const adapter = adapterFor(type);
  const typeDirs = dirs.get(type) ?? [];
  const scenarios = typeDirs.length === 1 ? loadScenarios(typeDirs[0]!, type) : [];
  const coverage = coverageOf(
    adapter,
    scenarios.map((s) => s.name),
    typeDirs.length === 1 ? loadSkips(typeDirs[0]!) : {},
  );

  it('has golden fixtures, in one folder', () => {
    expect(
      typeDirs.length,
      `${type}: no fixtures (add test/fixtures/${type}/<scenario>/ or test/fixtures/<family>/${type}/<scenario>/)`,
    ).toBeGreaterThan(0);
    expect(typeDirs, `${type}: fixtures in more than one folder`).toHaveLength(1);
    expect(scenarios.length).toBeGreaterThan(0);
  });

  it('runs every standard scenario or states why not', () => {
    expect(coverage.problems).toEqual([]);
  });

  // The skip table, one line per skipped standard scenario, printed by the reporter with its reason.
  for (const [scenario, reason] of coverage.skipped) it.skip(`${scenario}: skipped, ${reason}`, () => undefined);

  describe.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    it('builds the expected upstream request', async () => {
      const before = JSON.stringify(s.request.body);
      const sent = await finalRequest(adapter, s);
      const sentClientBytes = sent.body === s.request.raw;
      const actual = {
        method: sent.method,
        path: sent.path,
        headers: sent.headers,
        sentClientBytes,
        body: JSON.parse(String(sent.body)) as unknown,
      };
      expectFile(s, 'expected-upstream-request.json', pretty(actual), true);
      expect(JSON.stringify(s.request.body)).toBe(before);
    });

    if (s.upstreamResponse) {
      const upstream = s.upstreamResponse;
      it('translates the upstream answer', () => {
        let actual: Record<string, unknown>;
        if (upstream.status >= 200 && upstream.status < 300) {
          try {
            const out = adapter.translateResponse(s.request, Buffer.from(upstream.body), s.target);
            actual = {
              verbatim: out.body === upstream.body,
              model: out.model,
              usage: out.usage,
              response: JSON.parse(out.body) as unknown,
            };
            const doc = actual['response'];
            const problems =
              s.request.operation === 'chat'
                ? chatCompletionProblems(doc)
                : s.request.operation === 'completions'
                  ? completionProblems(doc, false)
                  : embeddingsProblems(doc, s.request.body['encoding_format'] === 'base64' ? 'base64' : 'float');
            expect(problems).toEqual([]);
            if (validate) {
              const schema = {
                chat: 'CreateChatCompletionResponse',
                completions: 'CreateCompletionResponse',
                embeddings: 'CreateEmbeddingResponse',
              }[s.request.operation as OpenAIOperation];
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
        const { outputs, translator } = translate(adapter, s, [bytes]);
        expectFile(s, 'expected-client-stream.txt', renderStream(outputs), false);
        const state = {
          started: translator.started,
          model: translator.model,
          usage: translator.usage,
          malformedEvents: translator.malformedEvents,
        };
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
        const whole = translate(adapter, s, [bytes]).outputs;
        expect(
          translate(
            adapter,
            s,
            Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1)),
          ).outputs,
        ).toEqual(whole);
        fc.assert(
          fc.property(fc.array(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 16 }), (cuts) => {
            expect(translate(adapter, s, cutAt(bytes, cuts)).outputs).toEqual(whole);
          }),
          { seed: 20260821, numRuns: 40 },
        );
      });
    }
  });
});
