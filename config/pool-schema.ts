/**
 * `providers.<id>.pool` — a self-hosted GPU pool routed on its servers' own metrics (gpu-pool/): where
 * its endpoints come from (the static `endpoints` list, DNS, a watched file), how often each server's
 * `/metrics` is read, how endpoints are scored (queue, KV cache, prefix affinity, LoRA, session), when
 * an endpoint is full, and whether a saturated pool spills to the route's next candidate.
 *
 * The defaults are the published endpoint picker's (the Gateway API Inference Extension: scorer
 * weights queue 2, KV cache 2, prefix 3; 64-character prefix blocks, 256 blocks per prompt, 31 250
 * blocks remembered per server) unless `npm run bench:pool` showed better.
 */
import { z } from 'zod';
import { positiveMs } from './schema-primitives.js';

/**
 * The servers whose metric names the pool knows (gpu-pool/server-metrics.ts holds the names; config/
 * may not import gpu-pool/, so the list is written twice and a test keeps the two the same).
 */
export const poolServerTypes = ['vllm', 'sglang', 'tgi', 'llamacpp'] as const;
export type PoolServerType = (typeof poolServerTypes)[number];

const port = z.number().int().min(1).max(65_535);
const basePath = z
  .string()
  .startsWith('/')
  .default('/v1')
  .describe('Path of the OpenAI API under each discovered address (the base URL is scheme://address:port + path).');
const scheme = z.enum(['http', 'https']).default('http');
const dnsServers = z
  .array(z.string().min(1))
  .min(1)
  .optional()
  .describe("DNS servers to ask (ip or ip:port), e.g. Consul's 127.0.0.1:8600; default: the system's.");

const dnsSchema = z
  .strictObject({
    name: z.string().min(1).describe('A host name whose A and AAAA records are the pool, e.g. a Kubernetes headless service.'),
    port: port.describe('The servers’ port.'),
    scheme,
    path: basePath,
    interval_ms: positiveMs.default(5_000).describe('How often the name is resolved again.'),
    servers: dnsServers,
  })
  .describe('Endpoints from DNS A/AAAA records, re-resolved on an interval; a failed lookup keeps the last list.');

const srvSchema = z
  .strictObject({
    name: z.string().min(1).describe('An SRV name, e.g. _http._tcp.vllm.default.svc.cluster.local: each record gives a host and port.'),
    scheme,
    path: basePath,
    interval_ms: positiveMs.default(5_000),
    servers: dnsServers,
  })
  .describe('Endpoints from DNS SRV records, re-resolved on an interval.');

export const poolSchema = z
  .strictObject({
    server: z
      .enum(poolServerTypes)
      .optional()
      .describe("Whose metric names the servers' /metrics uses; default: the provider's type (vllm, sglang, tgi, llamacpp)."),
    discovery: z
      .strictObject({
        dns: dnsSchema.optional(),
        srv: srvSchema.optional(),
        file: z
          .string()
          .min(1)
          .optional()
          .describe(
            'A file of base URLs, one a line (# comments), watched: edit it and the pool follows. Relative to the working directory.',
          ),
      })
      .optional()
      .describe('Where endpoints come from besides `endpoints` (which may then be left out). Every source is merged.'),
    scrape: z
      .strictObject({
        interval_ms: z.number().int().min(250).max(1_000).default(500).describe("How often each server's /metrics is read (250–1000)."),
        timeout_ms: positiveMs.default(400),
        stale_ms: positiveMs
          .default(2_000)
          .describe('A server whose last good scrape is older than this is full (no request is sent on old numbers).'),
        path: z.string().startsWith('/').default('/metrics').describe('At the server root (the base URL without its /v1).'),
      })
      .default({ interval_ms: 500, timeout_ms: 400, stale_ms: 2_000, path: '/metrics' }),
    readiness: z
      .strictObject({
        interval_ms: positiveMs.default(2_000).describe('How often an endpoint that is not ready is probed (a ready one: 5× less often).'),
        timeout_ms: positiveMs.default(1_000),
      })
      .default({ interval_ms: 2_000, timeout_ms: 1_000 })
      .describe('An endpoint joins once GET /health passes and GET /v1/models lists its deployments’ models.'),
    weights: z
      .strictObject({
        queue: z.number().min(0).default(2),
        kv_cache: z.number().min(0).default(2),
        prefix: z.number().min(0).default(3),
        lora: z.number().min(0).default(1),
        session: z.number().min(0).default(2),
      })
      .default({ queue: 2, kv_cache: 2, prefix: 3, lora: 1, session: 2 })
      .describe('Scorer weights: the endpoint with the highest weighted sum takes the request.'),
    full_when: z
      .strictObject({
        queue: z.number().int().min(0).default(16).describe('Requests waiting at the server (scraped, plus what this gateway sent since).'),
        kv_cache: z.number().gt(0).max(1).default(0.95).describe('KV-cache use, 0..1.'),
      })
      .default({ queue: 16, kv_cache: 0.95 })
      .describe('An endpoint is full past either threshold (or when its metrics are stale); the pool is saturated when every endpoint is.'),
    prefix: z
      .strictObject({
        block_chars: z.number().int().min(8).default(64),
        max_blocks: z.number().int().positive().default(256),
        lru_blocks: z
          .number()
          .int()
          .positive()
          .default(31_250)
          .describe('Blocks remembered per server when its cache size is not published.'),
      })
      .default({ block_chars: 64, max_blocks: 256, lru_blocks: 31_250 })
      .describe('Approximate prefix affinity: chained hashes of fixed-size blocks of the rendered prompt.'),
    hotspot_queue_gap: z
      .number()
      .int()
      .min(0)
      .default(8)
      .describe('Prefix affinity yields to load when the endpoint it favours waits this many more requests than the least loaded.'),
    session_header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'a header name')
      .optional()
      .describe('A request header whose value keeps a conversation on one endpoint, e.g. x-session-id.'),
    spill: z
      .boolean()
      .default(true)
      .describe("A saturated pool leaves the plan for the request and the route's next candidate takes it, in the same decision."),
  })
  .describe('GPU-pool routing on the servers’ own metrics (self-hosted types only).')
  // One definition in the generated JSON Schema ($defs), not a copy under every provider type.
  .meta({ id: 'GpuPool' });

export type PoolConfig = z.output<typeof poolSchema>;
