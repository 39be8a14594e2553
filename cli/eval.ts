/**
 * `switchyard eval SUITE.yaml --route NAME`: runs an eval suite (gateway/evals/suite.ts) against a
 * running gateway over HTTP, on the stable variant, the canary or both side by side, and prints the
 * report (or `--json`). Forcing a variant needs the admin key, as the gateway honours
 * `x-switchyard-variant` only with it. Keys go in headers only: never into output or error messages.
 */
import { parseArgs } from 'node:util';
import { loadSuiteFile } from '../gateway/evals/suite.js';
import { runSuite, type EvalAnswer, type EvalSend, type EvalVariant } from '../gateway/evals/runner.js';
import { formatReport } from '../gateway/evals/report.js';
import type { CommandIO } from './validate.js';

const synopsis = `usage: switchyard eval SUITE.yaml --route NAME [--variant stable|canary|both] [--base-url URL]
                       [--key KEY] [--admin-key KEY] [--json] [--concurrency N]
`;

const usage = `${synopsis}
Sends each case of the suite to POST {base}/v1/chat/completions with model NAME (not streamed) and
checks the answers against the case's expectations. Each variant runs the whole suite; the report shows
them side by side: per case pass or FAIL with the reason, pass rate, latency (mean and p95), tokens
and cost (from the gateway's x-switchyard-cost-usd header, when it sends one).

options:
  --route NAME          the route to evaluate (required)
  --variant V           stable, canary or both (default: both with an admin key, else stable); forcing
                        a variant needs the admin key, and the variant that served is checked
  --base-url URL        the gateway (default: SWITCHYARD_BASE_URL, else http://127.0.0.1:8080)
  --key KEY             client key (default: SWITCHYARD_API_KEY; the variable keeps it out of ps)
  --admin-key KEY       the gateway's server.admin_key (default: SWITCHYARD_ADMIN_KEY)
  --json                print the report as one JSON object on stdout, and nothing else
  --concurrency N       cases in flight at once per variant (default 4)
  -h, --help            show this help

exit codes:
  0  every case passed on every variant run
  1  a case failed (an expectation, a transport error, a non-2xx answer, another variant served it)
  2  usage error, or the suite file is invalid (every error as file:line:col)
`;

/** How long one case may take before it fails as a transport error. */
const requestTimeoutMs = 120_000;

class UsageError extends Error {}

interface EvalOptions {
  file: string;
  route: string;
  variants: EvalVariant[];
  baseUrl: string;
  key: string | undefined;
  /** Set when variants are forced. */
  adminKey: string | undefined;
  json: boolean;
  concurrency: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const fromEnv = (env: Env, name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

function baseUrlOf(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError('--base-url must be an http(s) URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--base-url must be an http(s) URL, got '${url.protocol}'`);
  if (url.username !== '' || url.password !== '') throw new UsageError('--base-url must not carry credentials: give the key with --key');
  // Accept the gateway's origin or its OpenAI base URL (…/v1), as SDKs take it.
  return url.href.replace(/\/+$/, '').replace(/\/v1$/, '');
}

function optionsFrom(argv: string[], env: Env): EvalOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      route: { type: 'string' },
      variant: { type: 'string' },
      'base-url': { type: 'string' },
      key: { type: 'string' },
      'admin-key': { type: 'string' },
      json: { type: 'boolean' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'no suite file given' : 'give exactly one suite file');
  if (values.route === undefined || values.route === '') throw new UsageError('--route is required (the route the suite evaluates)');
  const adminKey = values['admin-key'] ?? fromEnv(env, 'SWITCHYARD_ADMIN_KEY');
  const variant = values.variant ?? (adminKey !== undefined ? 'both' : 'stable');
  if (variant !== 'stable' && variant !== 'canary' && variant !== 'both') {
    throw new UsageError(`--variant must be stable, canary or both, got '${variant}'`);
  }
  if (variant !== 'stable' && adminKey === undefined) {
    throw new UsageError(
      `--variant ${variant} needs the admin key (--admin-key or SWITCHYARD_ADMIN_KEY): the gateway forces a variant only for a request that carries it`,
    );
  }
  const rawConcurrency = values.concurrency ?? '4';
  const concurrency = Number(rawConcurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency must be an integer >= 1, got '${rawConcurrency}'`);
  return {
    file: positionals[0]!,
    route: values.route,
    variants: variant === 'both' ? ['stable', 'canary'] : [variant],
    baseUrl: baseUrlOf(values['base-url'] ?? fromEnv(env, 'SWITCHYARD_BASE_URL') ?? 'http://127.0.0.1:8080'),
    key: values.key ?? fromEnv(env, 'SWITCHYARD_API_KEY'),
    adminKey,
    json: values.json === true,
    concurrency,
  };
}

/** fetch's own message ("fetch failed") with its cause, which says what failed (ECONNREFUSED, a timeout...). */
function transportError(err: unknown, url: string): Error {
  const cause = (err as { cause?: unknown }).cause;
  const why = cause instanceof Error ? `${(err as Error).message}: ${cause.message}` : (err as Error).message;
  return new Error(`POST ${url}: ${why}`);
}

/** Sends over HTTP; the admin key forces the variant asked for. */
export function httpSender(baseUrl: string, key: string | undefined, adminKey: string | undefined): EvalSend {
  const url = `${baseUrl}/v1/chat/completions`;
  return async (body, variant): Promise<EvalAnswer> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    if (adminKey !== undefined) {
      headers['x-switchyard-variant'] = variant;
      headers['x-switchyard-admin-key'] = adminKey;
    }
    const started = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(requestTimeoutMs) });
      text = await res.text();
    } catch (err) {
      throw transportError(err, url);
    }
    const latencyMs = performance.now() - started;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): the runner reports the status with the text.
    }
    const cost = Number(res.headers.get('x-switchyard-cost-usd') ?? Number.NaN);
    return {
      status: res.status,
      body: parsed,
      latencyMs,
      costUsd: Number.isFinite(cost) ? cost : undefined,
      servedVariant: res.headers.get('x-switchyard-variant') ?? undefined,
      deployment: res.headers.get('x-switchyard-deployment') ?? undefined,
      failed: res.headers.get('x-switchyard-failed') ?? undefined,
    };
  };
}

export async function runEvalCommand(argv: string[], io: CommandIO = process, env: Env = process.env): Promise<number> {
  let options: EvalOptions | 'help';
  try {
    options = optionsFrom(argv, env);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof UsageError) && !(typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) throw err;
    const message = (err as Error).message.replace(/\. To specify a positional argument[\s\S]*$/, '');
    io.stderr.write(`switchyard eval: ${message}\n${synopsis}run 'switchyard eval --help' for its options.\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  const loaded = loadSuiteFile(options.file);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr.write(`${error}\n`);
    io.stderr.write(`${options.file}: ${loaded.errors.length} error(s)\n`);
    return 2;
  }
  const send = httpSender(options.baseUrl, options.key, options.adminKey);
  const report = await runSuite(loaded.suite, options.route, options.variants, send, { concurrency: options.concurrency });
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.pass ? 0 : 1;
}
