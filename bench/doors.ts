/**
 * What each front door costs, two ways.
 *
 * In process (measureDoorTranslation): the door's own work on a ~1 KB request like the main bench's —
 * accepting the client's body (validation and the OpenAI translation), turning a non-stream OpenAI
 * answer back into the door's wire, and encoding a 16-token OpenAI stream as the door's events; and,
 * for the native path, accepting plus the adapter building the upstream request from the client's own
 * bytes. Medians over batches, as bench/translation.ts does.
 *
 * End to end (measureDoors): one gateway process in front of the simulators, the gateway's CPU time
 * per request for each door next to /v1/chat/completions on the same route, in alternating rounds
 * (medians): the Anthropic Messages API translated (to the OpenAI-wire simulator) and native (to the
 * Anthropic simulator), the Responses API translated (a vllm-type provider) and native (an openai-type
 * one, same simulator), and the pass-through (/passthrough/sim/v1/chat/completions, proxied as it is).
 */
import type { FrontDoor } from '../adapters/front-door.js';
import { frontDoors } from '../adapters/front-doors.js';
import { adapterFor } from '../adapters/index.js';
import type { UpstreamTarget } from '../adapters/types.js';
import { runLoad, type LoadResult } from './load.js';
import { processCpuSeconds, spawnSwitchyard } from './processes.js';
import { startGatewayWith } from './limits.js';
import { bodies } from './bodies.js';
import { medianUs } from './translation.js';

const words = 'the yard holds four hundred wagons on twelve sidings and two hump tracks today'.split(' ');

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_732_000_000,
  model: 'bench-model-2024-01-01',
  choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 240, completion_tokens: 16, total_tokens: 256 },
});

const chunk = (delta: object, finish: string | null) =>
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_732_000_000,
    model: 'bench-model-2024-01-01',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

const chunks = [
  chunk({ role: 'assistant', content: '' }, null),
  ...words.map((w, i) => chunk({ content: i === 0 ? w : ` ${w}` }, null)),
  chunk({}, 'stop'),
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_732_000_000,
    model: 'bench-model-2024-01-01',
    choices: [],
    usage: { prompt_tokens: 240, completion_tokens: 16, total_tokens: 256 },
  }),
];

/** The adapter type that speaks each door's wire natively, for the native row. */
const nativeType: Record<FrontDoor['wire'], string> = { 'anthropic-messages': 'anthropic', 'openai-responses': 'openai' };

export function measureDoorTranslation(): Array<Record<string, string | number>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const door of frontDoors) {
    if (door.operation !== 'chat') continue;
    const body = door.wire === 'anthropic-messages' ? bodies.messages('bench', false) : bodies.responses('bench', false);
    const raw = Buffer.from(body);
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const accepted = door.accept(parsed, raw, {});
    const streamed = door.accept({ ...parsed, stream: true }, raw, {});
    const type = nativeType[door.wire];
    const adapter = adapterFor(type);
    const target: UpstreamTarget = { deploymentId: 'bench', model: 'bench-model-2024-01-01', provider: { id: 'p', type, headers: {} } };
    const acceptUs = medianUs(() => door.accept(JSON.parse(body) as Record<string, unknown>, raw, {}));
    const answerUs = medianUs(() => door.answer(completion, false, accepted));
    const streamUs = medianUs(() => {
      const encoder = door.createStreamEncoder(streamed);
      for (const c of chunks) encoder.chunk(c, undefined, false);
      encoder.done(false);
    });
    const nativeUs = medianUs(() =>
      adapter.buildRequest(door.accept(JSON.parse(body) as Record<string, unknown>, raw, {}).request, target),
    );
    rows.push({
      door: door.path,
      'accept + translate (µs)': acceptUs,
      'answer back (µs)': answerUs,
      'stream of 16 tokens (µs)': streamUs,
      'translated total, non-stream (µs)': +(acceptUs + answerUs).toFixed(2),
      'native: accept + upstream request (µs)': nativeUs,
      'native adapter': type,
    });
  }
  return rows;
}

/** A gateway config with every door's path to the simulators (see the file's comment). */
export function doorsConfig(simOrigin: string, anthropicOrigin: string, model: string): string {
  return `version: 1
providers:
  sim: { type: openai, base_url: ${simOrigin}/v1 }
  compat: { type: vllm, base_url: ${simOrigin}/v1 }
  claude: { type: anthropic, base_url: ${anthropicOrigin}, api_key: bench-anthropic-key }
deployments:
  bench@sim: { provider: sim, model: ${model} }
  bench@compat: { provider: compat, model: ${model} }
  claude@sim: { provider: claude, model: claude-sonnet-4-5-20250929 }
routes:
  bench: { targets: [bench@sim] }
  compat: { targets: [bench@compat] }
  claude: { targets: [claude@sim] }
passthrough:
  sim: { paths: [/v1/chat/completions] }
`;
}

interface DoorPath {
  readonly name: string;
  readonly path: string;
  readonly body: (stream: boolean) => string;
}

export function doorPaths(model: string): DoorPath[] {
  const { chat, messages, responses } = bodies;
  return [
    { name: 'chat completions (reference)', path: '/v1/chat/completions', body: (s) => chat('bench', s) },
    { name: 'messages, translated', path: '/v1/messages', body: (s) => messages('bench', s) },
    { name: 'messages, native', path: '/v1/messages', body: (s) => messages('claude', s) },
    { name: 'responses, translated', path: '/v1/responses', body: (s) => responses('compat', s) },
    { name: 'responses, native', path: '/v1/responses', body: (s) => responses('bench', s) },
    { name: 'pass-through', path: '/passthrough/sim/v1/chat/completions', body: (s) => chat(model, s) },
  ];
}

/** The gateway's CPU per request on every door path, `rounds` alternating rounds, medians against the reference. */
export async function measureDoors(
  origin: string,
  model: string,
  requests: number,
  concurrency: number,
  rounds: number,
): Promise<Array<Record<string, string | number>>> {
  const paths = doorPaths(model);
  const out: Array<Record<string, string | number>> = [];
  for (const stream of [false, true]) {
    for (const p of paths) await runLoad(origin, p.path, p.body(stream), 500, concurrency);
    const cpu = new Map<string, number[]>(paths.map((p) => [p.name, []]));
    const errors = new Map<string, number>(paths.map((p) => [p.name, 0]));
    for (let r = 0; r < rounds; r += 1) {
      for (const p of paths) {
        const before = await processCpuSeconds(`${origin}/metrics`);
        const result: LoadResult = await runLoad(origin, p.path, p.body(stream), requests, concurrency);
        const after = await processCpuSeconds(`${origin}/metrics`);
        cpu.get(p.name)!.push(((after - before) * 1e6) / requests);
        errors.set(p.name, errors.get(p.name)! + result.errors);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const reference = median(cpu.get(paths[0]!.name)!);
    for (const p of paths) {
      const m = median(cpu.get(p.name)!);
      out.push({
        path: stream ? 'stream' : 'non-stream',
        door: p.name,
        'CPU µs/request': Math.round(m),
        'vs chat completions (µs)': `${m - reference >= 0 ? '+' : ''}${Math.round(m - reference)}`,
        errors: errors.get(p.name)!,
      });
    }
  }
  return out;
}

/** Starts the Anthropic simulator and a gateway with every door, measures (measureDoors), stops both. */
export async function runDoorBench(
  simOrigin: string,
  model: string,
  requests: number,
  concurrency: number,
  rounds: number,
): Promise<Array<Record<string, string | number>>> {
  const claude = await spawnSwitchyard(
    [
      'sim',
      '--kind',
      'anthropic',
      '--port',
      '0',
      '--model',
      'claude-sonnet-4-5-20250929',
      '--ttft-ms',
      '0',
      '--tpot-ms',
      '0',
      '--output-tokens',
      '16',
    ],
    /at (http:\/\/127\.0\.0\.1:\d+)/,
  );
  try {
    const gw = await startGatewayWith(doorsConfig(simOrigin, claude.match[1]!, model), 'doors');
    try {
      return await measureDoors(gw.origin, model, requests, concurrency, rounds);
    } finally {
      await gw.stop();
    }
  } finally {
    await claude.stop();
  }
}
