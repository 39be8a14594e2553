/**
 * The shape of switchyard.yaml, as zod schemas. Strict everywhere: an unknown key is an
 * error, so a typo never passes silently. Keys for features that are not built yet are absent, and so
 * rejected, until their feature lands. The JSON Schema in switchyard.schema.json is generated from this
 * file (`npm run schema`); a test fails when it is stale.
 */
import { z } from 'zod';
import { providerKinds, providerTypes, type ProviderType } from '../adapters/index.js';
import { byteSize, id, positiveMs } from './schema-primitives.js';
import { canarySchema, shadowSchema, type canaryGuardSchema } from './rollout-schema.js';
import { keyPassthroughSchema, passthroughSchema } from './passthrough-schema.js';
import { poolSchema, poolServerTypes } from './pool-schema.js';
import {
  breakerDefaults,
  breakerSchema,
  continuationSchema,
  hedgeSchema,
  outlierDefaults,
  outlierSchema,
  retriesSchema,
  timeoutsSchema,
} from './resilience-schema.js';

export { byteSize, duration } from './schema-primitives.js';
export { canaryGuardSchema, canarySchema, rampStepSchema, shadowSchema } from './rollout-schema.js';

export const serverSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Address to listen on. Default: 127.0.0.1 (this machine only) when no client keys are configured (open mode), 0.0.0.0 (every IPv4 interface) when keys are. The HOST environment variable and --host override it.',
      ),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8080)
      .describe('Port to listen on. The PORT environment variable overrides it, and --port overrides both.'),
    body_limit: byteSize.default('4mb').describe('Largest request body accepted; larger ones get 413.'),
    drain_delay_ms: z
      .number()
      .int()
      .min(0)
      .default(5_000)
      .describe(
        'On SIGTERM/SIGINT, how long /health/ready answers 503 while requests are still served normally, so load balancers stop sending before the listener closes. 0: close at once.',
      ),
    shutdown_grace_ms: positiveMs
      .default(15_000)
      .describe(
        'After the listener closes, how long in-flight requests and streams may take to finish; then streams end with a shutting_down error event and other requests get 503.',
      ),
    headers_timeout_ms: positiveMs.default(15_000).describe('How long a client may take to send request headers.'),
    request_timeout_ms: positiveMs
      .default(60_000)
      .describe(
        'How long a client may take to send a whole request, body included (then 408). Raise it for large uploads through the pass-through.',
      ),
    keep_alive_timeout_ms: positiveMs
      .default(65_000)
      .describe('Idle keep-alive connection timeout (longer than common load-balancer idle timeouts).'),
    admin_key: z
      .string()
      .optional()
      .describe(
        'Enables the admin API (/admin/...) for clients that send it as Bearer; write it as ${ENV_VAR}. Empty or absent: admin API off.',
      ),
    ops_port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe(
        'Serve /metrics and /admin/* on this separate port (and not on the public one, which then answers 404 for them); /health/* answers on both. Absent: everything on the public port.',
      ),
    ops_host: z.string().min(1).default('127.0.0.1').describe('Address of the ops_port listener; default this machine only.'),
  })
  .refine((s) => s.ops_port === undefined || s.ops_port === 0 || s.ops_port !== s.port, {
    path: ['ops_port'],
    message: 'ops_port must differ from port (the point is a separate listener)',
  });

/**
 * The simulator's engine profiles (sim/engine/profiles.ts; config/ may not import sim/, so the list is
 * written twice, and a test keeps the two the same).
 */
export const simulatorEngineProfiles = ['llama-3.1-8b-h100', 'llama-3.3-70b-4xh100'] as const;

export const simulatorSchema = z.strictObject({
  kind: z
    .enum(['openai', 'vllm', 'anthropic', 'gemini', 'azure', 'bedrock'])
    .describe("Which wire format the in-process simulator speaks (openai, vllm, or a provider's own: anthropic, gemini, azure, bedrock)."),
  model: z.string().min(1).describe('The model name the simulator serves.'),
  ttft_ms: z.number().int().min(0).default(50).describe('Time to first token.'),
  tpot_ms: z.number().int().min(0).default(10).describe('Time per output token.'),
  output_tokens: z.number().int().positive().default(24).describe('Tokens per answer unless max_tokens is smaller.'),
  max_concurrency: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "vllm kind: sequences run at once; the rest queue (default 16). With `engine`, vLLM's max_num_seqs (default the profile's, 256).",
    ),
  max_model_len: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Prompt plus max_tokens allowed, in tokens; longer requests get the kind's context-length 400. Unset: no limit."),
  api_key: z.string().optional().describe('If set, the simulator requires this Bearer key.'),
  prefill: z
    .enum(['continue_final_message', 'last_assistant', 'prefix_flag', 'none'])
    .default('continue_final_message')
    .describe(
      'How the simulator continues a partial assistant answer, as that style of server does; none: a prefill is refused with a 400 about the last message.',
    ),
  engine: z
    .enum(simulatorEngineProfiles)
    .optional()
    .describe(
      'vllm kind: model the server as a vLLM engine with this profile (continuous batching, paged KV cache with prefix caching, step times fitted on real GPUs) instead of fixed ttft_ms/tpot_ms.',
    ),
  kv_blocks: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("With `engine`: KV-cache blocks (16 tokens each), to shrink the profile's cache, e.g. to provoke preemption."),
});

/** Static headers; names ignore case (HTTP's rule), so two spellings of one name are an error. */
const headersSchema = z
  .record(z.string(), z.string())
  .default({})
  .superRefine((headers, ctx) => {
    const seen = new Map<string, string>();
    for (const name of Object.keys(headers)) {
      const first = seen.get(name.toLowerCase());
      if (first === undefined) seen.set(name.toLowerCase(), name);
      else
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `header '${name}' is already given as '${first}' (header names ignore case)`,
        });
    }
  });

/**
 * The keys every provider has because of the transport, whatever its type: where its endpoints are,
 * static headers, the connection pool and health probes. What a type needs beyond them (credentials,
 * region, api version...) is its adapter's settings schema, beside its code (adapters/<family>/
 * settings.ts), listed with the adapter in adapters/index.ts.
 */
const transportShape = {
  base_url: z
    .string()
    .min(1)
    .optional()
    .describe('The upstream base URL, e.g. https://api.openai.com/v1. `sim://NAME` names an in-process simulator.'),
  endpoints: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Several base URLs of one self-hosted pool; requests are spread across them.'),
  headers: headersSchema.describe('Static headers added to every upstream request and health probe.'),
  max_connections: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Connections per endpoint; unset: no cap (streams are long-lived: a cap would queue requests).'),
  connect_timeout_ms: positiveMs.default(5_000).describe('TCP/TLS connect timeout per endpoint.'),
  health_check: z
    .strictObject({
      path: z.string().startsWith('/').optional().describe("GET path under the base URL; default: the provider type's own (e.g. /models)."),
      interval_ms: positiveMs.default(10_000),
      timeout_ms: positiveMs.default(2_000),
    })
    .optional()
    .describe(
      'Active health checks of each endpoint (self-hosted pools); off when absent. Never a paid completion; sent with the credentials of a request.',
    ),
  pool: poolSchema.optional(),
};

type ProviderKinds = typeof providerKinds;

/**
 * A type's own settings keys. The conditional re-states that they are a zod shape: with two types whose
 * settings differ, TypeScript cannot see that of the indexed access for a generic T.
 */
type SettingsShape<T extends ProviderType> = ProviderKinds[T]['settings']['shape'] extends infer S extends z.ZodRawShape ? S : never;

/** `providers.<id>` for one type: its `type`, the transport's keys and the type's own settings. */
type ProviderVariant<T extends ProviderType> = z.ZodObject<
  { type: z.ZodLiteral<T> } & typeof transportShape & SettingsShape<T>,
  z.core.$strict
>;
/** One member per type (distributed, so each variant keeps exactly its own keys). */
type AnyProviderVariant = { [T in ProviderType]: ProviderVariant<T> }[ProviderType];

function providerVariant<T extends ProviderType>(type: T): ProviderVariant<T> {
  const own: z.ZodRawShape = providerKinds[type].settings.shape;
  for (const key of Object.keys(own)) {
    // Caught when the module loads: a type's settings may add keys, never redefine the common ones.
    if (key === 'type' || key === 'id' || Object.hasOwn(transportShape, key))
      throw new Error(`provider type '${type}': its settings schema redefines the common key '${key}'`);
  }
  const shape = { type: z.literal(type).describe('The provider adapter (wire format).'), ...transportShape, ...own };
  return z.strictObject(shape) as unknown as ProviderVariant<T>;
}

/**
 * `providers.<id>`: one variant per type of adapters/index.ts, chosen by `type` (an unknown type is
 * reported with the known ones; a key of another type as that type's).
 */
export const providerSchema = z
  .discriminatedUnion('type', providerTypes.map(providerVariant) as [AnyProviderVariant, ...AnyProviderVariant[]])
  .refine(
    (p) => (p.base_url === undefined) !== (p.endpoints === undefined) || (p.base_url === undefined && p.pool?.discovery !== undefined),
    {
      message: 'give exactly one of base_url or endpoints (a pool with discovery may leave both out)',
    },
  )
  .refine((p) => p.pool === undefined || p.health_check === undefined, {
    path: ['health_check'],
    message: "a pool's readiness probes replace health_check (pool.readiness sets their interval); remove it",
  })
  .refine((p) => p.pool === undefined || p.pool.server !== undefined || (poolServerTypes as readonly string[]).includes(p.type), {
    path: ['pool', 'server'],
    message: `say whose metric names the servers publish: server: ${poolServerTypes.join(' | ')}`,
  });

/** The routing strategies (gateway/routing/strategies/ implements one per name; the type checker holds the two lists together). */
export const strategyNames = ['priority', 'weighted', 'cost', 'latency', 'least-busy'] as const;
export type StrategyName = (typeof strategyNames)[number];

export const capabilitySchema = z.enum(['tools', 'vision', 'json_schema', 'prefill', 'reasoning']);
export const operationSchema = z.enum(['chat', 'completions', 'embeddings']);

const perUnit = z.number().int().positive();

export const limitsSchema = z
  .strictObject({
    rpm: perUnit.optional().describe('Requests per minute (GCRA: at most this many in any minute, evenly refilled).'),
    rpd: perUnit.optional().describe('Requests per day (rolling 24 h, GCRA).'),
    tpm: perUnit
      .optional()
      .describe(
        'Tokens per minute, prompt and completion: reserved at admission (prompt estimate + max_tokens, 1024 when absent), reconciled with the usage the upstream reports.',
      ),
    max_concurrency: perUnit.optional().describe('Requests in flight at once (leases with a TTL: a replica that dies leaks nothing).'),
  })
  .describe('Limits counted across replicas (in Redis when `redis` is set, else in this process).');

export const budgetSchema = z
  .strictObject({
    usd_per_day: z.number().positive().optional().describe('Spend per UTC day, from deployment prices.'),
    usd_per_month: z.number().positive().optional().describe('Spend per UTC calendar month, from deployment prices.'),
  })
  .describe('Spend limits of a key; once spent, requests get 429 insufficient_quota until the period ends.');

export const deploymentSchema = z.strictObject({
  provider: id.describe('A key of `providers`.'),
  model: z
    .string()
    .min(1)
    .describe(
      "The exact upstream model name: a dated or versioned id for cloud models (gpt-4o-2024-08-06); a floating alias is refused unless allow_floating is set. Self-hosted: the server's served name (vLLM's --served-model-name).",
    ),
  allow_floating: z
    .boolean()
    .default(false)
    .describe(
      'Accept a floating alias as model (gpt-4o, claude-3-5-sonnet-latest, an Ollama name without a tag): the provider may move it to another model at any time. Its answers are then not checked for drift.',
    ),
  on_drift: z
    .enum(['record', 'fail_over'])
    .default('record')
    .describe(
      'When an answer says another model served it than `model`: record (count it, log each new served id, show it in /admin/state) or fail_over (also take the deployment out of plans until POST /admin/deployments/{id}/restore). The answer itself is delivered.',
    ),
  price: z
    .strictObject({
      input_per_mtok: z.number().min(0).default(0),
      output_per_mtok: z.number().min(0).default(0),
    })
    .default({ input_per_mtok: 0, output_per_mtok: 0 })
    .describe('USD per million input and output tokens, for cost metrics and cost routing.'),
  context_window: z.number().int().positive().optional().describe('Largest prompt + completion, in tokens.'),
  capabilities: z.array(capabilitySchema).default([]).describe('What the model can do beyond plain chat.'),
  operations: z.array(operationSchema).min(1).default(['chat', 'completions']).describe('Which OpenAI endpoints this deployment serves.'),
  max_concurrency: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Requests it can serve at once; the least-busy strategy compares in-flight counts against it.'),
  limits: limitsSchema
    .optional()
    .describe(
      "The provider's own quota for this deployment (e.g. an Azure deployment's TPM): a deployment at its limit leaves the plan; the client gets 429 only when every candidate is at its limit.",
    ),
  shaping: z
    .strictObject({
      max_concurrent: perUnit.optional().describe('Attempts at once from this replica; unset: no cap.'),
      min_interval_ms: z.number().int().min(0).default(0).describe('Least time between two attempts starting (spacing).'),
      max_queue: z.number().int().min(0).default(100).describe('Attempts that may wait for a slot; more move on at once.'),
      max_wait_ms: positiveMs.default(1_000).describe('Longest an attempt waits for a slot before moving on to the next candidate.'),
    })
    .optional()
    .describe(
      "This replica's own shaping of traffic to the deployment (bottleneck): concurrency, spacing, and a bounded queue with a bounded wait; a try that cannot get a slot moves on, never waits out the deadline.",
    ),
  breaker: breakerSchema.default(breakerDefaults).describe('Circuit breaker of this deployment.'),
  outlier: outlierSchema.default(outlierDefaults).describe('Passive outlier ejection on consecutive failures.'),
});

export const routeSchema = z.strictObject({
  strategy: z
    .enum(strategyNames)
    .default('priority')
    .describe('How targets are ordered: priority (as written), weighted, cost, latency or least-busy.'),
  targets: z.array(id).min(1).describe('Deployments that serve this route.'),
  weights: z.record(id, z.number().positive()).optional().describe('For strategy weighted: relative share per target (default 1).'),
  retries: retriesSchema.default({
    same_deployment: 1,
    budget_percent: 20,
    backoff_ms: 100,
    max_backoff_ms: 2_000,
    on_timeout: false,
    max_retry_after_wait_ms: 0,
  }),
  stream_upstream: z
    .boolean()
    .default(false)
    .describe(
      'Send non-stream chat/completions requests upstream as streams and assemble the answer, so first_token_ms, idle_ms and mid-answer continuation protect them too (costs CPU per chunk; fields only non-stream responses carry are lost).',
    ),
  fallbacks: z.array(id).default([]).describe('Deployments tried after every target has failed.'),
  continuation: continuationSchema
    .default({ replay: 'deterministic' })
    .describe('How a stream broken after its first byte is finished on another deployment (or the same one restarted).'),
  timeouts: timeoutsSchema.default({
    first_token_ms: 30_000,
    idle_ms: 30_000,
    total_ms: 300_000,
    adaptive: { factor: 4, floor_ms: 5_000 },
  }),
  hedge: hedgeSchema.optional(),
  limits: limitsSchema.optional().describe('Limits of the whole route, every key together; over them the client gets 429.'),
  canary: canarySchema.optional(),
  shadow: shadowSchema.optional(),
  description: z.string().optional().describe('Shown nowhere but the config; for humans.'),
});

export const keySchema = z
  .strictObject({
    name: id.describe('A label for logs and metrics; never the key itself.'),
    key: z
      .string()
      .min(8, 'an API key must be at least 8 characters')
      .optional()
      .describe('The secret clients send (Bearer, api-key or x-api-key); write it as ${ENV_VAR}. Or give key_sha256 instead.'),
    key_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 digest of the key, as 64 hex digits (printf %s "$KEY" | sha256sum)')
      .optional()
      .describe('Only the SHA-256 digest of the key (hex), so the config file never holds the secret.'),
    routes: z.array(id).optional().describe('Routes this key may call; all when absent.'),
    passthrough: keyPassthroughSchema.optional(),
    limits: limitsSchema.optional().describe("This key's limits; over them its requests get 429 rate_limit_exceeded."),
    budget: budgetSchema.optional(),
  })
  .refine((k) => (k.key === undefined) !== (k.key_sha256 === undefined), {
    message: 'set exactly one of key (from the environment) and key_sha256 (its digest)',
  });

export const redisSchema = z
  .union([
    z.string().describe('The Redis URL (redis://[user:password@]host:port[/db]); empty: no Redis.'),
    z.strictObject({
      url: z.string().default('').describe('The Redis URL; empty: no Redis (limits count in this process).'),
      unavailable: z
        .enum(['fail_open', 'fail_closed'])
        .default('fail_open')
        .describe('While Redis is out: fail_open (each replica enforces its share, limit / replicas) or fail_closed (503).'),
      replicas: perUnit.optional().describe('Replicas sharing the limits, for the fail_open share; unset: observed through Redis.'),
      command_timeout_ms: positiveMs
        .max(1_000)
        .default(100)
        .describe('Longest a request waits for Redis before the unavailable mode applies.'),
      key_prefix: z.string().default('switchyard:').describe('Prefix of every Redis key the gateway writes.'),
      lease_ttl_ms: positiveMs
        .min(1_000)
        .default(60_000)
        .describe('How long a concurrency lease outlives a replica that died holding it (leases of running requests are renewed).'),
    }),
  ])
  .describe('Shared limits across replicas: `${REDIS_URL:-}` or an object with the URL and what to do while Redis is out.');

export const configSchema = z.strictObject({
  version: z.literal(1).describe('Config format version.'),
  server: serverSchema.default({
    port: 8080,
    body_limit: '4mb',
    drain_delay_ms: 5_000,
    shutdown_grace_ms: 15_000,
    headers_timeout_ms: 15_000,
    request_timeout_ms: 60_000,
    keep_alive_timeout_ms: 65_000,
    ops_host: '127.0.0.1',
  }),
  simulators: z.record(id, simulatorSchema).default({}).describe('In-process upstream simulators (demo and tests; never production).'),
  providers: z.record(id, providerSchema).describe('Upstream endpoints and their credentials.'),
  deployments: z.record(id, deploymentSchema).describe('Pinned models on providers.'),
  routes: z.record(id, routeSchema).describe('What clients send as `model`.'),
  keys: z.array(keySchema).default([]).describe('Client API keys. With none, the gateway accepts any (or no) key.'),
  redis: redisSchema.optional(),
  passthrough: passthroughSchema.optional(),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type DeploymentConfig = z.output<typeof deploymentSchema>;
export type DriftPolicy = DeploymentConfig['on_drift'];
export type RouteConfig = z.output<typeof routeSchema>;
export type SimulatorConfig = z.output<typeof simulatorSchema>;
export type KeyConfig = z.output<typeof keySchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type CanaryConfig = z.output<typeof canarySchema>;
export type CanaryGuardConfig = z.output<typeof canaryGuardSchema>;
export type ShadowConfig = z.output<typeof shadowSchema>;
export type BudgetConfig = z.output<typeof budgetSchema>;
export type RedisConfig = z.output<typeof redisSchema>;
export type Capability = z.output<typeof capabilitySchema>;
export type BreakerConfig = z.output<typeof breakerSchema>;
export type OutlierConfig = z.output<typeof outlierSchema>;
export type RetriesConfig = z.output<typeof retriesSchema>;
export type HedgeConfig = z.output<typeof hedgeSchema>;
export type ContinuationConfig = z.output<typeof continuationSchema>;
