/**
 * `switchyard sim`: runs one upstream simulator in the foreground until SIGINT/SIGTERM, for drills,
 * benchmarks and trying adapters against a local server. The API key is read from an environment
 * variable named on the command line, never taken as a flag value (it would show in `ps`).
 */
import { engineProfileNames, isEngineProfileName } from '../sim/engine/profiles.js';
import { parseArgs } from 'node:util';
import { simKinds, simPrefillStyles, startSimulator, type SimKind, type SimPrefillStyle, type SimulatorOptions } from '../sim/index.js';

const usage = `usage: switchyard sim --kind openai|vllm|anthropic|gemini|azure|bedrock [options]

Runs an upstream simulator speaking the OpenAI or vLLM wire format, with an admin API under /sim
(POST/GET/DELETE /sim/faults, GET/DELETE /sim/stats, GET /sim/requests).

options:
  --kind KIND              wire format to speak (required): openai, vllm, or a provider's own: anthropic, gemini, azure, bedrock
  --port N                 port to listen on (default 8000; 0 picks a free one)
  --host H                 address to bind (default 127.0.0.1)
  --model NAME             served model name (default sim-model)
  --ttft-ms N              time to first token in ms (default 50)
  --tpot-ms N              time per output token in ms (default 10)
  --output-tokens N        tokens per answer (default 24)
  --max-concurrency N      vllm: sequences generating at once, the rest queue (default 16; with --engine,
                           vLLM's max_num_seqs, default the profile's)
  --engine PROFILE         vllm: model a vLLM engine (batching, paged KV cache with prefix caching, step
                           times fitted on real GPUs): ${engineProfileNames.join(', ')}
  --kv-blocks N            with --engine: KV-cache blocks of 16 tokens (default the profile's)
  --max-model-len N        prompt + max_tokens allowed; longer gets a context-length 400 (default: no limit)
  --fail-rate F            probability 0..1 of a 500 on a completion request (default 0)
  --api-key-env VAR        require the API key held in environment variable VAR
  --prefill STYLE          how a partial assistant answer is continued: continue_final_message
                           (default), last_assistant, prefix_flag, or none (refused with a 400)
  --seed N                 seed for fault and failure draws (default 1)
  -h, --help               show this help
`;

export interface SimCommandIo {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** Stops the simulator when aborted (tests); SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
}

class UsageError extends Error {}

function number(name: string, raw: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return value;
}

const isInt =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (n: number): boolean =>
    Number.isInteger(n) && n >= min && n <= max;

function optionsFrom(argv: string[]): SimulatorOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      kind: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      model: { type: 'string' },
      'ttft-ms': { type: 'string' },
      'tpot-ms': { type: 'string' },
      'output-tokens': { type: 'string' },
      'max-concurrency': { type: 'string' },
      engine: { type: 'string' },
      'kv-blocks': { type: 'string' },
      'max-model-len': { type: 'string' },
      'fail-rate': { type: 'string' },
      'api-key-env': { type: 'string' },
      prefill: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const kind = values.kind;
  if (!simKinds.includes(kind as SimKind)) {
    throw new UsageError(
      kind === undefined ? `--kind is required (${simKinds.join(', ')})` : `--kind must be one of ${simKinds.join(', ')}, got '${kind}'`,
    );
  }
  let apiKey: string | undefined;
  const keyVar = values['api-key-env'];
  if (keyVar !== undefined) {
    apiKey = process.env[keyVar];
    if (apiKey === undefined || apiKey === '') throw new UsageError(`--api-key-env: environment variable ${keyVar} is not set`);
  }
  const options: SimulatorOptions = {
    kind: kind as SimKind,
    model: values.model ?? 'sim-model',
    port: number('port', values.port, isInt(0, 65535), 'a port number (0-65535)') ?? 8000,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
  };
  const prefill = values.prefill;
  if (prefill !== undefined) {
    if (!simPrefillStyles.includes(prefill as SimPrefillStyle))
      throw new UsageError(`--prefill must be one of ${simPrefillStyles.join(', ')}, got '${prefill}'`);
    options.prefill = prefill as SimPrefillStyle;
  }
  const ttftMs = number('ttft-ms', values['ttft-ms'], (n) => n >= 0, 'a number of ms >= 0');
  const tpotMs = number('tpot-ms', values['tpot-ms'], (n) => n >= 0, 'a number of ms >= 0');
  const outputTokens = number('output-tokens', values['output-tokens'], isInt(1), 'an integer >= 1');
  const maxConcurrency = number('max-concurrency', values['max-concurrency'], isInt(1), 'an integer >= 1');
  const maxModelLen = number('max-model-len', values['max-model-len'], isInt(1), 'an integer >= 1');
  const failRate = number('fail-rate', values['fail-rate'], (n) => n >= 0 && n <= 1, 'a probability between 0 and 1');
  const seed = number('seed', values.seed, isInt(0), 'an integer >= 0');
  if (ttftMs !== undefined) options.ttftMs = ttftMs;
  if (tpotMs !== undefined) options.tpotMs = tpotMs;
  if (outputTokens !== undefined) options.outputTokens = outputTokens;
  if (maxConcurrency !== undefined) options.maxConcurrency = maxConcurrency;
  if (maxModelLen !== undefined) options.maxModelLen = maxModelLen;
  if (failRate !== undefined) options.failRate = failRate;
  if (seed !== undefined) options.seed = seed;
  const engine = values.engine;
  if (engine !== undefined) {
    if (!isEngineProfileName(engine)) throw new UsageError(`--engine must be one of ${engineProfileNames.join(', ')}, got '${engine}'`);
    if (kind !== 'vllm') throw new UsageError('--engine models a vLLM server: use it with --kind vllm');
    options.engine = engine;
  }
  const kvBlocks = number('kv-blocks', values['kv-blocks'], isInt(1), 'an integer >= 1');
  if (kvBlocks !== undefined) {
    if (engine === undefined) throw new UsageError('--kv-blocks needs --engine');
    options.kvBlocks = kvBlocks;
  }
  return options;
}

/** Resolves when a signal (or the caller's abort) asks the simulator to stop. */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

export async function runSimCommand(argv: string[], io: SimCommandIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let options: SimulatorOptions | 'help';
  try {
    options = optionsFrom(argv);
  } catch (err) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown flags and missing values.
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      // A hint rather than the whole usage, which would bury the message (as for every subcommand).
      stderr.write(`switchyard sim: ${(err as Error).message}\nrun 'switchyard sim --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
  if (options === 'help') {
    stdout.write(usage);
    return 0;
  }
  const sim = await startSimulator(options);
  stdout.write(`switchyard sim: ${sim.kind} simulator serving '${sim.model}' at ${sim.url} (admin: ${sim.origin}/sim/faults)\n`);
  await stopRequested(io.signal);
  await sim.close();
  stdout.write('switchyard sim: stopped\n');
  return 0;
}
