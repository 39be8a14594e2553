/**
 * What each provider type's translation costs a request, in process: building the upstream request
 * from the client's (`buildRequest`), translating a non-stream answer back (`translateResponse`), and a
 * whole streamed answer through a fresh stream translator, on each type's own golden fixtures
 * (test/fixtures/: chat-basic and chat-streaming). Timed over batches so the clock's own cost stays
 * out; medians. Signing (Bedrock's SigV4, Vertex tokens) is not translation and is left out. Runs the
 * adapters from source through tsx, as the tests do.
 */
import { fileURLToPath } from 'node:url';
import { adapterFor, providerTypes } from '../adapters/index.js';
import { fixtureDirs, loadScenarios, type FixtureScenario } from '../test/adapters/support/fixtures.js';

const root = fileURLToPath(new URL('../test/fixtures', import.meta.url));

/** A function's time per call, µs: the median of `batches` timed batches, after a warm-up batch. */
export function medianUs(run: () => void, batch = 200, batches = 25): number {
  const samples: number[] = [];
  // A warm-up batch first: the first calls of a function run unoptimised.
  for (let i = 0; i < batch; i += 1) run();
  for (let b = 0; b < batches; b += 1) {
    const t = performance.now();
    for (let i = 0; i < batch; i += 1) run();
    samples.push(((performance.now() - t) * 1000) / batch);
  }
  samples.sort((a, b) => a - b);
  return +samples[Math.floor(samples.length / 2)]!.toFixed(2);
}

export function measureTranslation(batch = 200, batches = 25): Array<Record<string, string | number>> {
  const dirs = fixtureDirs(root);
  const rows: Array<Record<string, string | number>> = [];
  for (const type of providerTypes) {
    const scenarios = (dirs.get(type) ?? []).flatMap((dir) => loadScenarios(dir, type));
    const find = (name: string): FixtureScenario | undefined => scenarios.find((s) => s.name === name);
    const basic = find('chat-basic');
    const streaming = find('chat-streaming');
    if (basic === undefined || streaming === undefined) continue;
    const adapter = adapterFor(type);
    const body = Buffer.from(basic.upstreamResponse!.body);
    const chunks = streaming.upstreamStream!;
    const stream = () => {
      const translator = adapter.createStreamTranslator(streaming.request, streaming.target);
      translator.push(chunks);
      translator.end();
    };
    const requestUs = medianUs(() => adapter.buildRequest(basic.request, basic.target), batch, batches);
    const answerUs = medianUs(() => adapter.translateResponse(basic.request, body, basic.target), batch, batches);
    const streamUs = medianUs(stream, batch, batches);
    rows.push({
      type,
      'request (µs)': requestUs,
      'answer (µs)': answerUs,
      'request + answer (µs)': +(requestUs + answerUs).toFixed(2),
      'stream, whole (µs)': streamUs,
      'stream bytes': chunks.length,
    });
  }
  return rows;
}
